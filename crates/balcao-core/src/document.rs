//! Brazilian taxpayer documents: CPF (people, 11 digits) and CNPJ (companies, 14 digits),
//! validated by their check digits and kept as digits only.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentKind {
    Cpf,
    Cnpj,
}

/// Digits of a valid CPF or CNPJ, with its kind; `None` when it is neither.
pub fn normalize(input: &str) -> Option<(String, DocumentKind)> {
    let trimmed = input.trim();
    if !trimmed
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '/' | ' '))
    {
        return None;
    }
    let digits: Vec<u32> = trimmed.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.windows(2).all(|w| w[0] == w[1]) {
        return None;
    }
    let kind = match digits.len() {
        11 if check_cpf(&digits) => DocumentKind::Cpf,
        14 if check_cnpj(&digits) => DocumentKind::Cnpj,
        _ => return None,
    };
    Some((digits.iter().map(|d| char::from(b'0' + *d as u8)).collect(), kind))
}

fn check_digit(digits: &[u32], weights: impl Iterator<Item = u32>) -> u32 {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    match sum % 11 {
        0 | 1 => 0,
        r => 11 - r,
    }
}

fn check_cpf(d: &[u32]) -> bool {
    check_digit(&d[..9], (2..=10).rev()) == d[9] && check_digit(&d[..10], (2..=11).rev()) == d[10]
}

fn check_cnpj(d: &[u32]) -> bool {
    const FIRST: [u32; 12] = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    const SECOND: [u32; 13] = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    check_digit(&d[..12], FIRST.into_iter()) == d[12] && check_digit(&d[..13], SECOND.into_iter()) == d[13]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_documents() {
        assert_eq!(
            normalize("529.982.247-25"),
            Some(("52998224725".into(), DocumentKind::Cpf))
        );
        assert_eq!(
            normalize("11.222.333/0001-81"),
            Some(("11222333000181".into(), DocumentKind::Cnpj))
        );
    }

    #[test]
    fn invalid_documents() {
        for bad in [
            "529.982.247-24",
            "111.111.111-11",
            "11.222.333/0001-82",
            "123",
            "abc.def.ghi-jk",
            "",
        ] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }
}
