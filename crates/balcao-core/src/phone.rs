//! Phone numbers, normalised to digits with the country code (E.164 without the `+`).
//!
//! Numbers written without a country code are taken as Brazilian (the platform's home market):
//! `(11) 91234-5678`, `011 91234-5678` and `+55 11 91234-5678` are all `5511912345678`.
//! A Brazilian mobile number written without the ninth digit (`55 11 1234-5678` style, as
//! WhatsApp often reports them) gets it back, so both spellings are the same contact.

/// Why a phone number was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneError {
    Empty,
    InvalidCharacters,
    WrongLength,
    InvalidAreaCode,
}

impl PhoneError {
    pub fn message(self) -> &'static str {
        match self {
            PhoneError::Empty => "the phone number is empty",
            PhoneError::InvalidCharacters => {
                "the phone number holds characters other than digits, spaces, +, -, ( and )"
            }
            PhoneError::WrongLength => "the phone number has too few or too many digits",
            PhoneError::InvalidAreaCode => "the Brazilian area code (DDD) is not valid",
        }
    }
}

const BRAZIL: &str = "55";

/// Normalises a phone number; see the module documentation.
pub fn normalize(input: &str) -> Result<String, PhoneError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    if !trimmed
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.'))
        || trimmed.chars().skip(1).any(|c| c == '+')
    {
        return Err(PhoneError::InvalidCharacters);
    }
    let international = trimmed.starts_with('+');
    let mut digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return Err(PhoneError::Empty);
    }
    let international = international || digits.starts_with("00");
    if !international {
        // National Brazilian spelling: optional trunk 0, then DDD and the local number.
        let national = digits.trim_start_matches('0');
        if matches!(national.len(), 10 | 11) {
            digits = format!("{BRAZIL}{national}");
        }
    } else if let Some(rest) = digits.strip_prefix("00") {
        digits = rest.to_owned();
    }
    if !(8..=15).contains(&digits.len()) {
        return Err(PhoneError::WrongLength);
    }
    if let Some(national) = digits.strip_prefix(BRAZIL) {
        return brazilian(national);
    }
    Ok(digits)
}

fn brazilian(national: &str) -> Result<String, PhoneError> {
    let bytes = national.as_bytes();
    if !matches!(national.len(), 10 | 11) {
        return Err(PhoneError::WrongLength);
    }
    if bytes[0] == b'0' || bytes[1] == b'0' {
        return Err(PhoneError::InvalidAreaCode);
    }
    let (ddd, local) = national.split_at(2);
    match local.len() {
        // Eight digits starting 6–9: a mobile number written without its ninth digit.
        8 if matches!(local.as_bytes()[0], b'6'..=b'9') => Ok(format!("{BRAZIL}{ddd}9{local}")),
        8 => Ok(format!("{BRAZIL}{ddd}{local}")),
        // Nine digits: mobile numbers start with 9.
        _ if local.starts_with('9') => Ok(format!("{BRAZIL}{ddd}{local}")),
        _ => Err(PhoneError::WrongLength),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brazilian_spellings_meet() {
        for spelling in [
            "+55 11 91234-5678",
            "(11) 91234-5678",
            "011 91234-5678",
            "5511912345678",
            "+55 (11) 91234.5678",
        ] {
            assert_eq!(normalize(spelling).as_deref(), Ok("5511912345678"), "{spelling}");
        }
        // Without the ninth digit, a mobile number gets it back.
        assert_eq!(normalize("+55 11 8234-5678").as_deref(), Ok("5511982345678"));
        assert_eq!(normalize("551182345678").as_deref(), Ok("5511982345678"));
        assert_eq!(normalize("(21) 8765-4321").as_deref(), Ok("5521987654321"));
        // Landlines (starting 2–5) stay as they are.
        assert_eq!(normalize("(11) 3456-7890").as_deref(), Ok("551134567890"));
    }

    #[test]
    fn other_countries_keep_their_digits() {
        assert_eq!(normalize("+1 (415) 555-2671").as_deref(), Ok("14155552671"));
        assert_eq!(normalize("0044 20 7946 0958").as_deref(), Ok("442079460958"));
    }

    #[test]
    fn bad_numbers_are_refused() {
        assert_eq!(normalize(""), Err(PhoneError::Empty));
        assert_eq!(normalize("abc"), Err(PhoneError::InvalidCharacters));
        assert_eq!(normalize("11 9x234"), Err(PhoneError::InvalidCharacters));
        assert_eq!(normalize("1234"), Err(PhoneError::WrongLength));
        assert_eq!(normalize("+55 01 91234-5678"), Err(PhoneError::InvalidAreaCode));
        assert_eq!(
            normalize("+55 11 81234-5678"),
            Err(PhoneError::WrongLength),
            "nine digits must start with 9"
        );
        assert_eq!(normalize("+1234567890123456"), Err(PhoneError::WrongLength));
    }
}
