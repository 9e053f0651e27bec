//! Pieces shared by the load clients in `examples/` (run by the scripts in `bench/`).

/// The value at quantile `q` (0 to 1) of `sorted` (ascending); the default when empty.
pub fn quantile<T: Copy + Default>(sorted: &[T], q: f64) -> T {
    let i = ((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1));
    sorted.get(i).copied().unwrap_or_default()
}

/// Posts an inbound text message from `contact` through the native API, as an admin would
/// record a message received elsewhere; the error says what went wrong.
pub async fn post_inbound(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    contact: &str,
    text: &str,
) -> Result<(), String> {
    let body = serde_json::json!({"contact_id": contact, "direction": "inbound", "text": text});
    match http
        .post(format!("{base}/api/v1/messages"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
    {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("posting a message: {}", r.status())),
        Err(e) => Err(format!("posting a message: {e}")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quantiles_pick_from_the_sorted_values() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(
            (
                super::quantile(&v, 0.5),
                super::quantile(&v, 0.99),
                super::quantile(&v, 1.0)
            ),
            (51, 100, 100)
        );
        assert_eq!(super::quantile::<u32>(&[], 0.5), 0);
    }
}
