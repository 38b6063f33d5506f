//! Regular expressions that clients send (transformation operands, access-control entries):
//! compiled with one size limit everywhere, a compile error as one line for the error body.

use regex::Regex;

/// Compiles a client's pattern; a pattern whose program would pass 1 MiB is refused.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(pattern).size_limit(1 << 20).build().map_err(|e| {
        // The regex crate's messages span lines (the pattern, a caret, the reason): keep the reason.
        let msg = e.to_string();
        msg.lines().rfind(|l| !l.trim().is_empty()).unwrap_or(&msg).trim().to_owned()
    })
}
