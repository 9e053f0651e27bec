//! Input validation shared by every face: each failure names the field it concerns.

use serde::Serialize;

/// One failing field of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as the caller sent it (`email`, `department_ids[1]`).
    pub field: String,
    /// Stable, machine-readable reason: `required`, `invalid`, `too_short`, `too_long`, ...
    pub code: &'static str,
    pub message: String,
}

/// Collects field errors while a request is checked.
#[derive(Default, Debug)]
pub struct Validator {
    errors: Vec<FieldError>,
}

pub const NAME_MAX: usize = 200;
pub const EMAIL_MAX: usize = 254;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 256;
pub const DOMAIN_MAX: usize = 253;

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, code: &'static str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            code,
            message: message.into(),
        });
    }

    /// How many failures so far.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }

    /// A required field that was absent.
    pub fn required<T>(&mut self, field: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.add(field, "required", format!("`{field}` is required"));
        }
        value
    }

    /// A display name: trimmed, 1 to 100 characters, no control characters.
    pub fn name(&mut self, field: &str, value: &str) -> Option<String> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.add(field, "blank", format!("`{field}` must not be blank"));
            None
        } else if trimmed.chars().count() > NAME_MAX {
            self.add(
                field,
                "too_long",
                format!("`{field}` is longer than {NAME_MAX} characters"),
            );
            None
        } else if trimmed.chars().any(char::is_control) {
            self.add(
                field,
                "invalid",
                format!("`{field}` must not contain control characters"),
            );
            None
        } else {
            Some(trimmed.to_owned())
        }
    }

    /// An e-mail address, normalised to lower case.
    pub fn email(&mut self, field: &str, value: &str) -> Option<String> {
        let email = value.trim().to_lowercase();
        if email.len() > EMAIL_MAX {
            self.add(
                field,
                "too_long",
                format!("`{field}` is longer than {EMAIL_MAX} characters"),
            );
            return None;
        }
        if !is_plausible_email(&email) {
            self.add(field, "invalid", format!("`{field}` is not a valid e-mail address"));
            return None;
        }
        Some(email)
    }

    /// A new password: 8 to 256 characters.
    pub fn password(&mut self, field: &str, value: &str) -> Option<String> {
        let n = value.chars().count();
        if n < PASSWORD_MIN {
            self.add(
                field,
                "too_short",
                format!("`{field}` must have at least {PASSWORD_MIN} characters"),
            );
            None
        } else if n > PASSWORD_MAX {
            self.add(
                field,
                "too_long",
                format!("`{field}` is longer than {PASSWORD_MAX} characters"),
            );
            None
        } else {
            Some(value.to_owned())
        }
    }

    /// A host name (`example.com`, `app.example.com`), normalised to lower case. A scheme or
    /// path is stripped when the caller pasted a whole URL.
    pub fn domain(&mut self, field: &str, value: &str) -> Option<String> {
        let host = host_of(value).unwrap_or_default();
        let ok = !host.is_empty()
            && host.len() <= DOMAIN_MAX
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if ok {
            Some(host)
        } else {
            self.add(field, "invalid", format!("`{field}` is not a valid domain name"));
            None
        }
    }
}

fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
}

/// The lower-cased host of a URL, an `Origin` header value or a bare host name; `None` when
/// nothing host-like is there. The port is dropped.
pub fn host_of(value: &str) -> Option<String> {
    let value = value.trim();
    let after_scheme = value.split_once("://").map_or(value, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or_default();
    let without_user = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = if without_user.starts_with('[') {
        without_user.split_once(']').map(|(h, _)| &h[1..]).unwrap_or_default()
    } else {
        without_user.split(':').next().unwrap_or_default()
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// Whether `host` is `domain` or one of its subdomains.
pub fn host_matches_domain(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        let mut v = Validator::new();
        assert_eq!(
            v.email("email", " Ana@Example.COM ").as_deref(),
            Some("ana@example.com")
        );
        assert!(v.is_empty());
        for bad in ["", "ana", "@x.com", "ana@", "ana@.com", "a b@x.com", "ana@x..com"] {
            assert_eq!(v.email("email", bad), None, "{bad}");
        }
        assert_eq!(v.finish().map_err(|e| e.len()), Err(7));
    }

    #[test]
    fn names_and_passwords() {
        let mut v = Validator::new();
        assert_eq!(v.name("name", "  Suporte ").as_deref(), Some("Suporte"));
        assert_eq!(v.name("name", "   "), None);
        assert_eq!(v.name("name", &"x".repeat(201)), None);
        assert_eq!(v.password("password", "short"), None);
        assert!(v.password("password", "long enough").is_some());
        let errors = v.finish().expect_err("three failures");
        let codes: Vec<_> = errors.iter().map(|e| e.code).collect();
        assert_eq!(codes, ["blank", "too_long", "too_short"]);
    }

    #[test]
    fn hosts_and_domains() {
        assert_eq!(
            host_of("https://App.Example.com:8443/x?y").as_deref(),
            Some("app.example.com")
        );
        assert_eq!(host_of("example.com").as_deref(), Some("example.com"));
        assert_eq!(host_of("http://[::1]:80/").as_deref(), Some("::1"));
        assert_eq!(host_of(""), None);
        assert!(host_matches_domain("example.com", "example.com"));
        assert!(host_matches_domain("app.example.com", "example.com"));
        assert!(!host_matches_domain("badexample.com", "example.com"));
        assert!(!host_matches_domain("example.com.evil.io", "example.com"));
        let mut v = Validator::new();
        assert_eq!(
            v.domain("allowed_domain", "https://crm.example.com/").as_deref(),
            Some("crm.example.com")
        );
        assert_eq!(v.domain("allowed_domain", "not a domain"), None);
    }
}
