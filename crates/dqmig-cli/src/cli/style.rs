//! Whether messages on stderr are colored: `--color`, `NO_COLOR` and whether stderr is a
//! terminal, decided once so every command prints the same way.

use super::ColorChoice;

/// The decided output style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// `always` colors, `never` does not; `auto` colors only on a terminal and only when
    /// `NO_COLOR` is unset or empty (https://no-color.org).
    pub fn decide(choice: ColorChoice, is_terminal: bool, no_color: Option<&str>) -> Style {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && no_color.is_none_or(str::is_empty),
        };
        Style { color }
    }

    /// The `error:` prefix, bold red when colored.
    pub fn error_prefix(&self) -> &'static str {
        if self.color {
            "\x1b[1;31merror\x1b[0m:"
        } else {
            "error:"
        }
    }
}

impl Style {
    /// The `warning:` prefix, bold yellow when colored.
    pub fn warning_prefix(&self) -> &'static str {
        if self.color {
            "\x1b[1;33mwarning\x1b[0m:"
        } else {
            "warning:"
        }
    }

    /// `text` in ANSI color `code` (e.g. `"31"` red) when colored, else as it is.
    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decides_color() {
        let cases = [
            (ColorChoice::Always, false, Some("1"), true),
            (ColorChoice::Never, true, None, false),
            (ColorChoice::Auto, true, None, true),
            (ColorChoice::Auto, true, Some(""), true),
            (ColorChoice::Auto, true, Some("1"), false),
            (ColorChoice::Auto, false, None, false),
        ];
        for (choice, tty, no_color, want) in cases {
            assert_eq!(
                Style::decide(choice, tty, no_color).color,
                want,
                "{choice:?} {tty} {no_color:?}"
            );
        }
        assert_eq!(Style { color: false }.error_prefix(), "error:");
        assert!(Style { color: true }.error_prefix().contains("\x1b[1;31m"));
        assert_eq!(Style { color: false }.warning_prefix(), "warning:");
        assert_eq!(Style { color: false }.paint("31", "x"), "x");
        assert_eq!(Style { color: true }.paint("31", "x"), "\x1b[31mx\x1b[0m");
    }
}
