//! Reads files out of a zip archive held in memory: just enough of the format for the
//! explorer's vendored Swagger UI archive (stored and deflated entries, no zip64), each entry
//! checked against its CRC-32.

use std::io::Read;

const END_OF_DIRECTORY: u32 = 0x0605_4b50;
const DIRECTORY_ENTRY: u32 = 0x0201_4b50;
const LOCAL_HEADER: u32 = 0x0403_4b50;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// One entry of the central directory.
struct Entry<'a> {
    name: &'a str,
    method: u16,
    crc: u32,
    compressed: usize,
    size: usize,
    local_header: usize,
}

/// The entries of the archive's central directory, in order.
fn entries(zip: &[u8]) -> Result<Vec<Entry<'_>>, String> {
    // The end-of-directory record is the last 22 bytes, or sits before a comment (at most 64 KiB).
    let earliest = zip.len().saturating_sub(22 + 0xffff);
    let end = (earliest..=zip.len().saturating_sub(22))
        .rev()
        .find(|&i| u32_at(zip, i) == Some(END_OF_DIRECTORY))
        .ok_or("not a zip archive")?;
    let count = u16_at(zip, end + 10).ok_or("truncated")? as usize;
    let mut at = u32_at(zip, end + 16).ok_or("truncated")? as usize;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        if u32_at(zip, at) != Some(DIRECTORY_ENTRY) {
            return Err(format!("no directory entry at {at}"));
        }
        let field = |off: usize| u32_at(zip, at + off).ok_or("truncated");
        let name_len = u16_at(zip, at + 28).ok_or("truncated")? as usize;
        let skip = name_len
            + u16_at(zip, at + 30).ok_or("truncated")? as usize
            + u16_at(zip, at + 32).ok_or("truncated")? as usize;
        let name = zip.get(at + 46..at + 46 + name_len).ok_or("truncated")?;
        out.push(Entry {
            name: std::str::from_utf8(name).map_err(|_| "an entry's name is not UTF-8")?,
            method: u16_at(zip, at + 10).ok_or("truncated")?,
            crc: field(16)?,
            compressed: field(20)? as usize,
            size: field(24)? as usize,
            local_header: field(42)? as usize,
        });
        at += 46 + skip;
    }
    Ok(out)
}

/// The content of the entry whose name satisfies `wanted` (the first one), `Ok(None)` when
/// there is none.
pub fn extract(zip: &[u8], wanted: impl Fn(&str) -> bool) -> Result<Option<Vec<u8>>, String> {
    let Some(e) = entries(zip)?.into_iter().find(|e| wanted(e.name)) else {
        return Ok(None);
    };
    let at = e.local_header;
    if u32_at(zip, at) != Some(LOCAL_HEADER) {
        return Err(format!("{}: no local header", e.name));
    }
    let start =
        at + 30 + u16_at(zip, at + 26).ok_or("truncated")? as usize + u16_at(zip, at + 28).ok_or("truncated")? as usize;
    let data = zip.get(start..start + e.compressed).ok_or_else(|| format!("{}: truncated", e.name))?;
    let bytes = match e.method {
        0 => data.to_vec(),
        8 => {
            let mut out = Vec::with_capacity(e.size);
            flate2::read::DeflateDecoder::new(data)
                .read_to_end(&mut out)
                .map_err(|err| format!("{}: {err}", e.name))?;
            out
        }
        m => return Err(format!("{}: compression method {m} is not supported", e.name)),
    };
    if bytes.len() != e.size || crc32fast::hash(&bytes) != e.crc {
        return Err(format!("{}: damaged (size or CRC-32 differs)", e.name));
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_an_archive_is_an_error() {
        assert!(extract(b"plain text, no zip", |_| true).is_err());
        assert!(extract(&[], |_| true).is_err());
    }

    #[test]
    fn a_damaged_entry_is_refused() {
        let zip = utoipa_swagger_ui_vendored::SWAGGER_UI_VENDORED;
        let license = |n: &str| n.ends_with("/LICENSE") && n.matches('/').count() == 1;
        let text = extract(zip, license).unwrap().expect("the archive holds Swagger UI's licence");
        assert!(String::from_utf8_lossy(&text).contains("Apache License"));
        assert_eq!(extract(zip, |n| n == "no such file").unwrap(), None);
        // Flip one byte of the licence's compressed data: the CRC-32 no longer matches.
        let mut bad = zip.to_vec();
        let e = entries(zip).unwrap().into_iter().find(|e| license(e.name)).unwrap();
        let start = e.local_header + 30 + e.name.len() + u16_at(zip, e.local_header + 28).unwrap() as usize;
        bad[start + e.compressed / 2] ^= 0x5a;
        assert!(extract(&bad, license).is_err());
    }
}
