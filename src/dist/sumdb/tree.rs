//! The tree head a checksum database signs: `go.sum database tree\n<size>\n<hash>\n`.

use base64::Engine;
use tlog_tiles::Hash;

#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub size: u64,
    pub hash: Hash,
}

const PREFIX: &str = "go.sum database tree\n";

impl Tree {
    /// Parses a tree note's text as Go's tlog.ParseTree does (extra lines after the hash
    /// are allowed, for forward compatibility).
    pub fn parse(text: &[u8]) -> Option<Tree> {
        let text = std::str::from_utf8(text).ok()?;
        let rest = text.strip_prefix(PREFIX)?;
        if rest.matches('\n').count() < 2 {
            return None;
        }
        let mut lines = rest.splitn(3, '\n');
        let size_text = lines.next()?;
        let size: u64 = size_text.parse().ok()?;
        if size.to_string() != size_text {
            return None;
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(lines.next()?)
            .ok()?;
        Some(Tree {
            size,
            hash: Hash(raw.try_into().ok()?),
        })
    }

    /// The note text for this tree (what a database signs).
    pub fn format(&self) -> String {
        format!(
            "{PREFIX}{}\n{}\n",
            self.size,
            base64::engine::general_purpose::STANDARD.encode(self.hash.0)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_tree_notes() {
        let t =
            Tree::parse(b"go.sum database tree\n2\nnND/nri/U0xuHUrYSy0HtMeal2vzD9V4k/BO79C+QeI=\n")
                .unwrap();
        assert_eq!(t.size, 2);
        assert_eq!(Tree::parse(t.format().as_bytes()), Some(t.clone()));
        assert!(Tree::parse(
            b"go.sum database tree\n02\nnND/nri/U0xuHUrYSy0HtMeal2vzD9V4k/BO79C+QeI=\n"
        )
        .is_none());
        assert!(Tree::parse(b"go.sum database tree\n2\nnND/nri\n").is_none());
        assert!(
            Tree::parse(b"other tree\n2\nnND/nri/U0xuHUrYSy0HtMeal2vzD9V4k/BO79C+QeI=\n").is_none()
        );
        assert!(Tree::parse(b"go.sum database tree\n2\n").is_none());
        // Extra lines are ignored.
        assert!(Tree::parse(
            b"go.sum database tree\n2\nnND/nri/U0xuHUrYSy0HtMeal2vzD9V4k/BO79C+QeI=\nextra\n"
        )
        .is_some());
    }
}
