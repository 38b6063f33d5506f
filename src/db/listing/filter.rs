//! The filter language, parsed purely: `field op value [and field op value]...`.
//!
//! Operators `eq ne gt ge lt le like ilike in notin bit` (and `nearby`, which resources may
//! accept); values bare, or in single or double quotes (a backslash escapes the next character);
//! lists in parentheses for `in`/`notin`; fields are dot paths (`addresses.ip`). Only `and`
//! combines conditions.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Like,
    Ilike,
    In,
    Notin,
    Bit,
    Nearby,
}

impl Op {
    pub const ALL: [Op; 12] =
        [Op::Eq, Op::Ne, Op::Gt, Op::Ge, Op::Lt, Op::Le, Op::Like, Op::Ilike, Op::In, Op::Notin, Op::Bit, Op::Nearby];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Gt => "gt",
            Op::Ge => "ge",
            Op::Lt => "lt",
            Op::Le => "le",
            Op::Like => "like",
            Op::Ilike => "ilike",
            Op::In => "in",
            Op::Notin => "notin",
            Op::Bit => "bit",
            Op::Nearby => "nearby",
        }
    }

    fn parse(s: &str) -> Option<Op> {
        let s = s.to_ascii_lowercase();
        Op::ALL.iter().copied().find(|o| o.as_str() == s)
    }
}

/// One value as written: its text and whether it was quoted (a bare `null` means NULL).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Literal {
    pub text: String,
    pub quoted: bool,
}

impl Literal {
    pub fn is_null(&self) -> bool {
        !self.quoted && self.text.eq_ignore_ascii_case("null")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operand {
    One(Literal),
    List(Vec<Literal>),
}

impl Operand {
    /// The values, a single one as a list of one.
    pub fn values(&self) -> Vec<&Literal> {
        match self {
            Operand::One(l) => vec![l],
            Operand::List(v) => v.iter().collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// The dot path, e.g. `["addresses", "ip"]`.
    pub path: Vec<String>,
    pub op: Op,
    pub value: Operand,
}

impl Condition {
    pub fn field(&self) -> String {
        self.path.join(".")
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn lit(l: &Literal) -> String {
            if l.quoted {
                format!("\"{}\"", l.text.replace('\\', "\\\\").replace('"', "\\\""))
            } else {
                l.text.clone()
            }
        }
        let v = match &self.value {
            Operand::One(l) => lit(l),
            Operand::List(items) => format!("({})", items.iter().map(lit).collect::<Vec<_>>().join(", ")),
        };
        write!(f, "{} {} {}", self.field(), self.op.as_str(), v)
    }
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
        self.pos - start
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.bump();
        }
        &self.s[start..self.pos]
    }
}

/// Parses a whole `filter` value. The error says what is wrong, for a 400 naming `filter`.
pub fn parse(input: &str) -> Result<Vec<Condition>, String> {
    let mut c = Cursor { s: input, pos: 0 };
    let mut out = Vec::new();
    c.skip_ws();
    if c.at_end() {
        return Ok(out);
    }
    loop {
        out.push(condition(&mut c)?);
        if c.skip_ws() == 0 && !c.at_end() {
            return Err(format!("unexpected text at position {}", c.pos + 1));
        }
        if c.at_end() {
            return Ok(out);
        }
        let word = c.take_while(|ch| !ch.is_whitespace());
        if word.eq_ignore_ascii_case("or") || word.eq_ignore_ascii_case("not") {
            return Err(format!("'{word}' is not supported: conditions combine with 'and' only"));
        }
        if !word.eq_ignore_ascii_case("and") {
            return Err(format!("expected 'and' between conditions, found '{word}'"));
        }
        if c.skip_ws() == 0 || c.at_end() {
            return Err("a condition must follow 'and'".into());
        }
    }
}

fn condition(c: &mut Cursor<'_>) -> Result<Condition, String> {
    let field = c.take_while(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '.');
    if field.is_empty() {
        return Err(format!("expected a field name at position {}", c.pos + 1));
    }
    let path: Vec<String> = field.split('.').map(str::to_owned).collect();
    if path.iter().any(|p| p.is_empty()) || !path[0].starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_') {
        return Err(format!("'{field}' is not a field name"));
    }
    if c.skip_ws() == 0 {
        return Err(format!("expected an operator after '{field}'"));
    }
    let op_word = c.take_while(|ch| ch.is_ascii_alphabetic());
    let op = Op::parse(op_word).ok_or_else(|| {
        if op_word.is_empty() {
            format!("expected an operator after '{field}'")
        } else {
            format!("unknown operator '{op_word}'")
        }
    })?;
    let ws = c.skip_ws();
    if c.at_end() {
        return Err(format!("expected a value after '{field} {}'", op.as_str()));
    }
    let value = if c.peek() == Some('(') {
        c.bump();
        let mut items = Vec::new();
        loop {
            c.skip_ws();
            if c.peek() == Some(')') && items.is_empty() {
                c.bump();
                break;
            }
            items.push(literal(c, true)?);
            c.skip_ws();
            match c.bump() {
                Some(',') => continue,
                Some(')') => break,
                _ => return Err("a list must look like (a, b, c)".into()),
            }
        }
        Operand::List(items)
    } else {
        if ws == 0 {
            return Err(format!("expected a space after '{}'", op.as_str()));
        }
        let mut lit = literal(c, false)?;
        // A '+' of a time zone offset sent unencoded arrives as a space: `...T00:00:00 05:00`.
        if !lit.quoted && looks_like_datetime(&lit.text) {
            let save = c.pos;
            if c.skip_ws() == 1 {
                let next = c.take_while(|ch| !ch.is_whitespace());
                if is_offset(next) {
                    lit.text = format!("{}+{}", lit.text, next);
                } else {
                    c.pos = save;
                }
            } else {
                c.pos = save;
            }
        }
        Operand::One(lit)
    };
    Ok(Condition { path, op, value })
}

fn literal(c: &mut Cursor<'_>, in_list: bool) -> Result<Literal, String> {
    match c.peek() {
        Some(q @ ('"' | '\'')) => {
            c.bump();
            let mut text = String::new();
            loop {
                match c.bump() {
                    None => return Err("unterminated quoted value".into()),
                    Some('\\') => match c.bump() {
                        Some(ch) => text.push(ch),
                        None => return Err("unterminated quoted value".into()),
                    },
                    Some(ch) if ch == q => break,
                    Some(ch) => text.push(ch),
                }
            }
            Ok(Literal { text, quoted: true })
        }
        _ => {
            let text = if in_list {
                c.take_while(|ch| !ch.is_whitespace() && ch != ',' && ch != ')')
            } else {
                c.take_while(|ch| !ch.is_whitespace())
            };
            if text.is_empty() {
                return Err(format!("expected a value at position {}", c.pos + 1));
            }
            Ok(Literal { text: text.to_owned(), quoted: false })
        }
    }
}

fn looks_like_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b't')
        && !s.ends_with('Z')
        && !s[10..].contains(['+', '-'])
}

fn is_offset(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() == 5 && b[2] == b':' && b.iter().enumerate().all(|(i, ch)| i == 2 || ch.is_ascii_digit()))
        || (b.len() == 4 && b.iter().all(u8::is_ascii_digit))
}

#[cfg(test)]
mod tests;
