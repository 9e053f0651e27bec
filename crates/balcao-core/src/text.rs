//! Text folding shared by searches, generated names and the tests that check them.

/// A lower-case letter without its accent (the accents Portuguese and Spanish use); any other
/// character as it is.
fn fold_accent(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

/// `text` in lower case without accents: "Não É" → "nao e" — what the message search indexes
/// compare.
pub fn folded(text: &str) -> String {
    text.to_lowercase().chars().map(fold_accent).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn accents_and_case_fold_away() {
        assert_eq!(super::folded("Não É Ação Ñandú"), "nao e acao nandu");
        assert_eq!(super::fold_accent('x'), 'x');
    }
}
