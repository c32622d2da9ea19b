//! Errors that point at the text a person wrote: file, line, column, the line itself and a
//! caret, in the manner of rustc. A playbook is written by a support leader; "invalid config"
//! with no place is not an error message, it is a riddle.

use std::fmt;
use std::ops::Range;

/// One problem at one place in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong, in plain words.
    pub message: String,
    /// The source line, for the excerpt.
    pub source_line: String,
    /// Characters to underline, at least one.
    pub width: usize,
    /// Where the caret goes in the shown (possibly shortened) line, when it differs from
    /// `column`.
    pub display_column: Option<usize>,
    /// A warning: reported, but it does not make the file invalid.
    pub warning: bool,
    /// Notes shown under the excerpt, one per line, each starting with its kind
    /// (`help: …`, `why: …`).
    pub help: Option<String>,
}

impl Diagnostic {
    /// Locates a byte span of `source` and builds the diagnostic.
    pub fn at(file: &str, source: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        let start = span.start.min(source.len());
        let start = floor_char_boundary(source, start);
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let line = source[..start].matches('\n').count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        let end = floor_char_boundary(source, span.end.clamp(start, line_end));
        let width = source[start..end].chars().count().max(1);
        Diagnostic {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
            source_line: source[line_start..line_end]
                .trim_end_matches('\r')
                .to_string(),
            width,
            display_column: None,
            warning: false,
            help: None,
        }
        .windowed()
    }

    /// The same problem as a warning.
    pub fn into_warning(mut self) -> Diagnostic {
        self.warning = true;
        self
    }

    /// The same problem with notes under the excerpt (`help: …`, one per line).
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Cuts a long source line to the characters around the column, marked with `…`.
    fn windowed(mut self) -> Diagnostic {
        let chars: Vec<char> = self.source_line.chars().collect();
        if chars.len() <= 2 * CONTEXT + self.width {
            return self;
        }
        let col = self.column - 1;
        let from = col.saturating_sub(CONTEXT);
        let to = (col + self.width.min(CONTEXT) + CONTEXT).min(chars.len());
        let mut line: String = chars[from..to].iter().collect();
        let mut caret_col = col - from;
        if from > 0 {
            line.insert(0, '…');
            caret_col += 1;
        }
        if to < chars.len() {
            line.push('…');
        }
        self.source_line = line;
        self.width = self.width.min(CONTEXT);
        self.display_column = Some(caret_col + 1);
        self
    }
}

/// The most characters of a source line shown on each side of the column: a minified JSON
/// file is one line of megabytes, and an error must not print it whole.
const CONTEXT: usize = 60;

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let gutter = self.line.to_string().len();
        let kind = if self.warning { "warning" } else { "error" };
        writeln!(f, "{kind}: {}", self.message)?;
        writeln!(
            f,
            "{:gutter$}--> {}:{}:{}",
            "", self.file, self.line, self.column
        )?;
        writeln!(f, "{:gutter$} |", "")?;
        writeln!(f, "{} | {}", self.line, self.source_line)?;
        write!(
            f,
            "{:gutter$} | {}{}",
            "",
            " ".repeat(self.display_column.unwrap_or(self.column) - 1),
            "^".repeat(self.width)
        )?;
        if let Some(help) = &self.help {
            // Each line of the hint is a note of its own: `= why: …`, `= help: …`.
            for line in help.lines() {
                write!(f, "\n{:gutter$} = {line}", "")?;
            }
        }
        Ok(())
    }
}

/// All the problems found in one file, in source order. Never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        if self.0.len() > 1 {
            write!(f, "\n\n{} problems found", self.0.len())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_line_and_column_and_draws_a_caret() {
        let src = "[a]\nkey = \"välue\"\nnext = 1\n";
        let start = src.find("\"välue\"").unwrap();
        let d = Diagnostic::at("p.toml", src, start..start + "\"välue\"".len(), "bad value");
        assert_eq!((d.line, d.column, d.width), (2, 7, 7));
        assert_eq!(
            d.to_string(),
            "error: bad value\n --> p.toml:2:7\n  |\n2 | key = \"välue\"\n  |       ^^^^^^^"
        );
    }

    #[test]
    fn a_huge_line_is_shown_around_the_column_only() {
        let src = format!("[{}\"bad\"{}]", "1,".repeat(50_000), ",2".repeat(50_000));
        let start = src.find("\"bad\"").unwrap();
        let d = Diagnostic::at("min.json", &src, start..start + 5, "here");
        assert_eq!(d.column, start + 1, "the real column is kept");
        let shown = d.to_string();
        assert!(shown.len() < 400, "{} bytes", shown.len());
        let lines: Vec<&str> = shown.lines().collect();
        let code = lines[3].split(" | ").nth(1).unwrap();
        let caret = lines[4].split(" | ").nth(1).unwrap();
        let at = caret.chars().position(|c| c == '^').unwrap();
        assert_eq!(code.chars().skip(at).take(5).collect::<String>(), "\"bad\"");
    }

    #[test]
    fn spans_past_the_end_or_inside_a_character_are_clamped() {
        let src = "ä";
        let d = Diagnostic::at("f", src, 1..99, "x");
        assert_eq!((d.line, d.column, d.width), (1, 1, 1));
        let d = Diagnostic::at("f", "", 0..0, "empty");
        assert_eq!((d.line, d.column), (1, 1));
    }
}
