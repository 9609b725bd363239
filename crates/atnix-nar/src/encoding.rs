use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

const NIX32_ALPHABET: &[u8; 32] = b"0123456789abcdfghijklmnpqrsvwxyz";

/// A SHA-256 digest, printable in the three forms Nix accepts.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hash(pub [u8; 32]);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseHashError {
    #[error("not a sha256 hash: {0:?} (expected sha256-<base64>, 52 nix32 or 64 hex characters)")]
    Format(String),
    #[error("invalid character {1:?} in hash {0:?}")]
    Char(String, char),
}

impl Hash {
    /// `sha256-<base64>`, the form nixpkgs writes in `hash = ...`.
    pub fn to_sri(&self) -> String {
        format!("sha256-{}", STANDARD.encode(self.0))
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Nix's own base32: a reversed bit order and an alphabet without e, o, u, t.
    pub fn to_nix32(&self) -> String {
        let bytes = &self.0;
        let len = (bytes.len() * 8 - 1) / 5 + 1;
        let mut out = String::with_capacity(len);
        for n in (0..len).rev() {
            let b = n * 5;
            let i = b / 8;
            let j = b % 8;
            let lo = (bytes[i] as u16) >> j;
            let hi = if i + 1 < bytes.len() {
                (bytes[i + 1] as u16) << (8 - j)
            } else {
                0
            };
            out.push(NIX32_ALPHABET[((lo | hi) & 31) as usize] as char);
        }
        out
    }

    /// Parses SRI (`sha256-...`), optionally prefixed `sha256:` nix32 or hex,
    /// choosing the encoding by length as Nix does.
    pub fn parse(s: &str) -> Result<Hash, ParseHashError> {
        let err = || ParseHashError::Format(s.to_owned());
        if let Some(b64) = s.strip_prefix("sha256-") {
            let bytes = STANDARD.decode(b64).map_err(|_| err())?;
            return bytes.try_into().map(Hash).map_err(|_| err());
        }
        let body = s.strip_prefix("sha256:").unwrap_or(s);
        match body.len() {
            64 => {
                let mut out = [0u8; 32];
                for (i, chunk) in body.as_bytes().chunks(2).enumerate() {
                    let text = std::str::from_utf8(chunk).map_err(|_| err())?;
                    out[i] = u8::from_str_radix(text, 16).map_err(|_| err())?;
                }
                Ok(Hash(out))
            }
            52 => {
                let mut out = [0u8; 32];
                for (k, c) in body.chars().rev().enumerate() {
                    let digit = NIX32_ALPHABET
                        .iter()
                        .position(|&a| a as char == c)
                        .ok_or_else(|| ParseHashError::Char(s.to_owned(), c))?
                        as u16;
                    let b = k * 5;
                    let i = b / 8;
                    let j = b % 8;
                    out[i] |= (digit << j) as u8;
                    let carry = digit >> (8 - j);
                    if i + 1 < out.len() {
                        out[i + 1] |= carry as u8;
                    } else if carry != 0 {
                        return Err(err());
                    }
                }
                Ok(Hash(out))
            }
            44 => {
                let bytes = STANDARD.decode(body).map_err(|_| err())?;
                bytes.try_into().map(Hash).map_err(|_| err())
            }
            _ => Err(err()),
        }
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_sri())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_sri())
    }
}

impl std::str::FromStr for Hash {
    type Err = ParseHashError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Hash::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_agree_with_nix() {
        // diskus cargoHash, printed by nixpkgs and by `nix hash to-base32`.
        let h = Hash::parse("sha256-keBnhE4ltOVMEuxPifiB2EAHk32u3PqaPGTeVexVXWM=").unwrap();
        assert_eq!(
            h.to_nix32(),
            "0qsxapn5bpk47jdgmp5fgn9hfh6qh7w8jkzc296fbd159s26gq4i"
        );
        assert!(h.to_hex().starts_with("91e06784"));
        assert!(h.to_hex().ends_with("5d63"));
        assert_eq!(Hash::parse(&h.to_nix32()).unwrap(), h);
        assert_eq!(Hash::parse(&h.to_hex()).unwrap(), h);
        assert_eq!(Hash::parse(&format!("sha256:{}", h.to_nix32())).unwrap(), h);
    }

    #[test]
    fn rejects_garbage() {
        assert!(Hash::parse("sha256-AAAA").is_err());
        assert!(Hash::parse("").is_err());
        assert!(matches!(
            Hash::parse(&"e".repeat(52)),
            Err(ParseHashError::Char(_, 'e'))
        ));
    }
}
