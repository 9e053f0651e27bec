//! A small PDF writer for ticket transcripts: A4 pages of Helvetica text with WinAnsi
//! encoding (Portuguese accents print as such), wrapped to the page and paginated. Written by
//! hand: a transcript needs text lines only, and this keeps the binary free of a PDF engine.

/// Points: A4 and the text block.
const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 50.0;
const SIZE: f32 = 10.0;
const LEADING: f32 = 14.0;
/// Characters per line at 10 pt Helvetica across the text block (a safe average).
const WRAP: usize = 95;

/// A character in Windows-1252 (PDF's WinAnsiEncoding), `?` when it has no place there.
fn win_ansi(c: char) -> u8 {
    match c as u32 {
        0x20..=0x7e | 0xa0..=0xff => c as u32 as u8,
        _ => match c {
            '€' => 0x80,
            '‚' => 0x82,
            'ƒ' => 0x83,
            '„' => 0x84,
            '…' => 0x85,
            '†' => 0x86,
            '‡' => 0x87,
            'ˆ' => 0x88,
            '‰' => 0x89,
            'Š' => 0x8a,
            '‹' => 0x8b,
            'Œ' => 0x8c,
            'Ž' => 0x8e,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '˜' => 0x98,
            '™' => 0x99,
            'š' => 0x9a,
            '›' => 0x9b,
            'œ' => 0x9c,
            'ž' => 0x9e,
            'Ÿ' => 0x9f,
            '\t' => b' ',
            _ => b'?',
        },
    }
}

/// A PDF literal string of `text`: WinAnsi bytes, with `(`, `)` and `\` escaped.
fn literal(text: &str) -> Vec<u8> {
    let mut out = vec![b'('];
    for c in text.chars() {
        let b = win_ansi(c);
        if matches!(b, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b')');
    out
}

/// `text` broken into lines of at most `WRAP` characters, at spaces where it can.
fn wrap(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            let mut word = word.to_owned();
            while word.chars().count() > WRAP {
                if !line.is_empty() {
                    out.push(std::mem::take(&mut line));
                }
                let head: String = word.chars().take(WRAP).collect();
                word = word.chars().skip(WRAP).collect();
                out.push(head);
            }
            let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
            if needed > WRAP && !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        out.push(line);
    }
    out
}

/// A PDF of `title` (in bold) and `lines`.
pub fn document(title: &str, lines: &[String]) -> Vec<u8> {
    let per_page = ((PAGE_H - 2.0 * MARGIN) / LEADING) as usize - 2;
    let wrapped: Vec<String> = lines.iter().flat_map(|l| wrap(l)).collect();
    let pages: Vec<&[String]> = if wrapped.is_empty() {
        vec![&[][..]]
    } else {
        wrapped.chunks(per_page).collect()
    };
    // Objects: 1 catalog, 2 pages, 3 font, 4 bold font, then a page and its content per page.
    let mut objects: Vec<Vec<u8>> = Vec::new();
    let kids: Vec<String> = (0..pages.len()).map(|i| format!("{} 0 R", 5 + 2 * i)).collect();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), pages.len()).into_bytes());
    objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec());
    objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".to_vec());
    for (i, page) in pages.iter().enumerate() {
        let mut content: Vec<u8> = Vec::new();
        content.extend_from_slice(format!("BT /F2 12 Tf {MARGIN} {} Td ", PAGE_H - MARGIN).as_bytes());
        content.extend(literal(title));
        content.extend_from_slice(format!(" Tj /F1 {SIZE} Tf {LEADING} TL T* ").as_bytes());
        for line in *page {
            content.extend_from_slice(b"T* ");
            content.extend(literal(line));
            content.extend_from_slice(b" Tj ");
        }
        content.extend_from_slice(format!("ET BT /F1 8 Tf {} {} Td ", PAGE_W - MARGIN - 40.0, MARGIN / 2.0).as_bytes());
        content.extend(literal(&format!("{} / {}", i + 1, pages.len())));
        content.extend_from_slice(b" Tj ET");
        let content_id = 6 + 2 * i;
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {content_id} 0 R >>"
            )
            .into_bytes(),
        );
        let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
        stream.extend(content);
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
    }
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_escapes_and_wrapping() {
        assert_eq!(literal("Ação (nº 1) \\"), b"(A\xe7\xe3o \\(n\xba 1\\) \\\\)".to_vec());
        assert_eq!(win_ansi('—'), 0x97);
        assert_eq!(win_ansi('😀'), b'?');
        let long = "palavra ".repeat(40);
        let lines = wrap(long.trim());
        assert!(lines.len() > 1 && lines.iter().all(|l| l.chars().count() <= WRAP));
    }

    #[test]
    fn the_cross_reference_table_points_at_every_object() {
        let lines: Vec<String> = (0..200)
            .map(|i| format!("[01/01/2026 10:00:{:02}] Cliente: mensagem {i} ção", i % 60))
            .collect();
        let pdf = document("Chamado 123", &lines);
        assert!(pdf.starts_with(b"%PDF-1.4") && pdf.ends_with(b"%%EOF\n"));
        let find = |needle: &[u8]| pdf.windows(needle.len()).rposition(|w| w == needle).expect("present");
        let after = find(b"startxref\n") + b"startxref\n".len();
        let digits: String = pdf[after..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .map(|b| char::from(*b))
            .collect();
        let start: usize = digits.parse().expect("startxref");
        assert!(pdf[start..].starts_with(b"xref"));
        let table = String::from_utf8_lossy(&pdf[start..]).into_owned();
        let entries: Vec<usize> = table
            .lines()
            .skip(3)
            .take_while(|l| l.ends_with(" n "))
            .map(|l| l[..10].parse().expect("offset"))
            .collect();
        assert!(entries.len() >= 6, "several pages: {}", entries.len());
        for (i, offset) in entries.iter().enumerate() {
            assert!(
                pdf[*offset..].starts_with(format!("{} 0 obj", i + 1).as_bytes()),
                "object {}",
                i + 1
            );
        }
        assert!(pdf.windows(3).any(|w| w == b"\xe7\xe3o"), "accents in WinAnsi");
    }
}
