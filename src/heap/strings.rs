//! Text in a dump: modified UTF-8 symbols and java.lang.String contents.

/// Decodes Java's modified UTF-8 (STRING records): like UTF-8, but NUL is
/// `C0 80` and characters above U+FFFF are two 3-byte surrogates. Invalid
/// sequences become U+FFFD; never fails.
pub fn decode_modified_utf8(bytes: &[u8]) -> String {
    if bytes.is_ascii() {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut units: Vec<u16> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let cont = |k: usize| {
            bytes
                .get(i + k)
                .filter(|&&c| c & 0xC0 == 0x80)
                .map(|&c| (c & 0x3F) as u16)
        };
        if b < 0x80 {
            units.push(b as u16);
            i += 1;
        } else if b & 0xE0 == 0xC0 {
            match cont(1) {
                Some(c1) => {
                    units.push(((b & 0x1F) as u16) << 6 | c1);
                    i += 2;
                }
                None => {
                    units.push(0xFFFD);
                    i += 1;
                }
            }
        } else if b & 0xF0 == 0xE0 {
            match (cont(1), cont(2)) {
                (Some(c1), Some(c2)) => {
                    units.push(((b & 0x0F) as u16) << 12 | c1 << 6 | c2);
                    i += 3;
                }
                _ => {
                    units.push(0xFFFD);
                    i += 1;
                }
            }
        } else if b & 0xF8 == 0xF0 {
            // Standard 4-byte UTF-8, which some writers use anyway.
            match (cont(1), cont(2), cont(3)) {
                (Some(c1), Some(c2), Some(c3)) => {
                    let cp = ((b & 0x07) as u32) << 18
                        | (c1 as u32) << 12
                        | (c2 as u32) << 6
                        | c3 as u32;
                    match char::from_u32(cp) {
                        Some(ch) => {
                            let mut buf = [0u16; 2];
                            units.extend_from_slice(ch.encode_utf16(&mut buf));
                        }
                        None => units.push(0xFFFD),
                    }
                    i += 4;
                }
                _ => {
                    units.push(0xFFFD);
                    i += 1;
                }
            }
        } else {
            units.push(0xFFFD);
            i += 1;
        }
    }
    String::from_utf16_lossy(&units)
}

/// Decodes UTF-16 code units stored as bytes, big- or little-endian.
pub fn decode_utf16(bytes: &[u8], big_endian: bool) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|p| {
            if big_endian {
                u16::from_be_bytes([p[0], p[1]])
            } else {
                u16::from_le_bytes([p[0], p[1]])
            }
        })
        .collect();
    String::from_utf16_lossy(&units)
}

/// Decodes Latin-1 bytes.
pub fn decode_latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// A class name as Java writes it in source: `java/lang/String` ->
/// `java.lang.String`, `[B` -> `byte[]`, `[[Ljava/lang/Object;` ->
/// `java.lang.Object[][]`. Names already in that form pass unchanged.
pub fn java_class_name(internal: &str) -> String {
    let dims = internal.bytes().take_while(|&b| b == b'[').count();
    if dims == 0 {
        return hidden_class_suffix(&internal.replace('/', "."));
    }
    let rest = &internal[dims..];
    let element = match rest {
        "Z" => "boolean".to_string(),
        "C" => "char".to_string(),
        "F" => "float".to_string(),
        "D" => "double".to_string(),
        "B" => "byte".to_string(),
        "S" => "short".to_string(),
        "I" => "int".to_string(),
        "J" => "long".to_string(),
        _ => rest
            .strip_prefix('L')
            .map(|r| r.strip_suffix(';').unwrap_or(r))
            .unwrap_or(rest)
            .replace('/', "."),
    };
    let element = hidden_class_suffix(&element);
    let mut out = element;
    for _ in 0..dims {
        out.push_str("[]");
    }
    out
}

/// HotSpot names hidden classes `Foo$$Lambda$1+0x0000000800c01000` in the
/// dump and `Foo$$Lambda$1/0x0000000800c01000` everywhere else.
fn hidden_class_suffix(name: &str) -> String {
    match name.rfind("+0x") {
        Some(at)
            if name[at + 3..].bytes().all(|b| b.is_ascii_hexdigit()) && name.len() > at + 3 =>
        {
            format!("{}/{}", &name[..at], &name[at + 1..])
        }
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modified_utf8() {
        // U+1D4B3 as two 3-byte surrogates, as verified on a real dump.
        assert_eq!(
            decode_modified_utf8(&[0xED, 0xA0, 0xB5, 0xED, 0xB2, 0xB3]),
            "\u{1D4B3}"
        );
        assert_eq!(decode_modified_utf8(&[b'a', 0xC0, 0x80, b'b']), "a\0b");
        assert_eq!(decode_modified_utf8("héllo €".as_bytes()), "héllo €");
        assert_eq!(decode_modified_utf8(&[0xFF, b'x']), "\u{FFFD}x");
        assert_eq!(decode_modified_utf8(&[0xE2, 0x82]), "\u{FFFD}\u{FFFD}");
    }

    #[test]
    fn class_names() {
        assert_eq!(java_class_name("java/lang/String"), "java.lang.String");
        assert_eq!(java_class_name("[B"), "byte[]");
        assert_eq!(
            java_class_name("[[Ljava/lang/Object;"),
            "java.lang.Object[][]"
        );
        assert_eq!(java_class_name("Outer$Inner"), "Outer$Inner");
        assert_eq!(java_class_name("java.lang.String"), "java.lang.String");
        assert_eq!(
            java_class_name("Foo$$Lambda$1+0x00007f4ff8001c68"),
            "Foo$$Lambda$1/0x00007f4ff8001c68"
        );
        assert_eq!(
            java_class_name("[LFoo$$Lambda$1+0x0800;"),
            "Foo$$Lambda$1/0x0800[]"
        );
        assert_eq!(java_class_name("a+b"), "a+b");
    }

    #[test]
    fn utf16() {
        assert_eq!(decode_utf16(&[0x68, 0, 0xe9, 0, 0xac, 0x20], false), "hé€");
        assert_eq!(decode_utf16(&[0, 0x41, 0x20, 0xac], true), "A€");
    }
}
