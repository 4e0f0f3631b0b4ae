//! Which checksum database to trust: `GOSUMDB` as the go command reads it — `off`, a
//! known database name, or a verifier key `<name>+<hash>+<keydata>`, optionally
//! followed by the URL to reach it.

use signed_note::StandardVerifier;

use super::SumdbError;

/// Go's default database and its public key, as the go command holds them.
pub const DEFAULT_GOSUMDB: &str = "sum.golang.org";
const SUM_GOLANG_ORG_KEY: &str =
    "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

/// One checksum database, by its verifier key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    /// The key's name: `sum.golang.org`, also the path under a proxy's `/sumdb/`.
    pub name: String,
    /// `<name>+<hash>+<keydata>`.
    pub vkey: String,
    /// The URL given after the key (it bypasses proxies), if any.
    pub url: Option<String>,
}

/// What `GOSUMDB` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    Off,
    Use(Database),
}

impl Database {
    /// The database's own address: `https://<name>`.
    pub fn direct_url(&self) -> String {
        format!("https://{}", self.name)
    }

    pub fn verifier(&self) -> Result<StandardVerifier, SumdbError> {
        StandardVerifier::new(&self.vkey).map_err(|e| SumdbError::BadKey {
            key: self.vkey.clone(),
            why: e.to_string(),
        })
    }
}

/// Parses a `GOSUMDB` value (empty: Go's default).
pub fn parse(value: &str) -> Result<Setting, SumdbError> {
    let mut value = value.trim();
    if value.is_empty() {
        value = DEFAULT_GOSUMDB;
    }
    // An alias reachable inside mainland China, with sum.golang.org's key.
    let aliased;
    if value == "sum.golang.google.cn" {
        aliased = format!("{DEFAULT_GOSUMDB} https://sum.golang.google.cn");
        value = &aliased;
    }
    if value == "off" {
        return Ok(Setting::Off);
    }
    let fields: Vec<&str> = value.split_whitespace().collect();
    if fields.len() > 2 {
        return Err(SumdbError::BadSetting {
            value: value.to_string(),
            why: "too many fields (want `<key> [<url>]`)".into(),
        });
    }
    let vkey = match fields[0] {
        DEFAULT_GOSUMDB => SUM_GOLANG_ORG_KEY.to_string(),
        k => k.to_string(),
    };
    if !vkey.contains('+') {
        return Err(SumdbError::BadSetting {
            value: value.to_string(),
            why: format!(
                "`{vkey}` is neither a known database nor a key `<name>+<hash>+<keydata>`"
            ),
        });
    }
    let verifier = StandardVerifier::new(&vkey).map_err(|e| SumdbError::BadKey {
        key: vkey.clone(),
        why: e.to_string(),
    })?;
    let name = signed_note::Verifier::name(&verifier).to_string();
    // Go requires host[/path]: the name becomes a URL path under a proxy.
    if name.ends_with('/')
        || name.starts_with('/')
        || name.contains("//")
        || name.split('/').any(|c| c == "." || c == "..")
        || name.contains(['?', '#', '\\', '%', '@'])
    {
        return Err(SumdbError::BadSetting {
            value: value.to_string(),
            why: format!("the database name `{name}` must be host[/path]"),
        });
    }
    let url = fields.get(1).map(|u| u.trim_end_matches('/').to_string());
    Ok(Setting::Use(Database { name, vkey, url }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gosumdb_values() {
        let Setting::Use(db) = parse("").unwrap() else {
            panic!()
        };
        assert_eq!(db.name, "sum.golang.org");
        assert_eq!(db.vkey, SUM_GOLANG_ORG_KEY);
        assert_eq!(db.url, None);
        assert_eq!(db.direct_url(), "https://sum.golang.org");
        assert_eq!(parse("sum.golang.org").unwrap(), Setting::Use(db.clone()));
        let Setting::Use(cn) = parse("sum.golang.google.cn").unwrap() else {
            panic!()
        };
        assert_eq!(
            (cn.name.as_str(), cn.url.as_deref()),
            ("sum.golang.org", Some("https://sum.golang.google.cn"))
        );
        assert_eq!(parse("off").unwrap(), Setting::Off);
        let Setting::Use(k) =
            parse(&format!("{SUM_GOLANG_ORG_KEY} http://127.0.0.1:9/db/")).unwrap()
        else {
            panic!()
        };
        assert_eq!(k.url.as_deref(), Some("http://127.0.0.1:9/db"));
        assert!(parse("sum.example.com").is_err());
        assert!(parse("a b c").is_err());
        // A key whose hash does not match its name and data.
        assert!(
            parse("sum.golang.org+033de0af+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8").is_err()
        );
    }
}
