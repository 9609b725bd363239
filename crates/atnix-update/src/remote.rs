//! The newest upstream commit a policy points at, from `git ls-remote`.

use atnix_pin::Update;

use crate::Error;

/// One advertised ref: its name and the commit it points at (tags peeled).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ref {
    pub name: String,
    pub commit: String,
}

/// The commit a policy picks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub commit: String,
    /// The ref fetched to reach it (`refs/tags/v1.2.0`, `refs/heads/main`, `HEAD`).
    pub refname: String,
    /// The release tag, for the `tags` policy.
    pub tag: Option<String>,
}

/// `git ls-remote URL`: read through the git CLI so the user's git config
/// (`url.*.insteadOf`, credentials, proxies) applies. Annotated tags are
/// peeled to their commit.
pub fn ls_remote(url: &str) -> Result<Vec<Ref>, Error> {
    let out = crate::git(
        None,
        url,
        "ls-remote",
        &["-c", "core.askPass=true", "ls-remote", "--", url],
    )?;
    let mut refs: Vec<Ref> = Vec::new();
    for line in out.lines() {
        let Some((commit, name)) = line.split_once('\t') else {
            continue;
        };
        match name.strip_suffix("^{}") {
            // The peeled commit of an annotated tag replaces the tag object.
            Some(tag) => match refs.iter_mut().find(|r| r.name == tag) {
                Some(r) => r.commit = commit.to_owned(),
                None => refs.push(Ref {
                    name: tag.to_owned(),
                    commit: commit.to_owned(),
                }),
            },
            None => refs.push(Ref {
                name: name.to_owned(),
                commit: commit.to_owned(),
            }),
        }
    }
    Ok(refs)
}

/// The commit `policy` picks among `refs`.
pub fn pick(policy: &Update, refs: &[Ref]) -> Result<Target, String> {
    match policy {
        Update::BranchHead { branch, .. } => {
            let refname = match branch {
                Some(b) => format!("refs/heads/{b}"),
                None => "HEAD".to_owned(),
            };
            refs.iter()
                .find(|r| r.name == refname)
                .map(|r| Target {
                    commit: r.commit.clone(),
                    refname: refname.clone(),
                    tag: None,
                })
                .ok_or_else(|| format!("the remote has no {refname}"))
        }
        Update::Tags { tag_pattern, .. } => {
            let pattern = tag_pattern.as_deref().unwrap_or("*");
            refs.iter()
                .filter_map(|r| {
                    let tag = r.name.strip_prefix("refs/tags/")?;
                    if !glob(pattern, tag) {
                        return None;
                    }
                    Some((release_numbers(tag)?, tag, r))
                })
                .max_by(|a, b| a.0.cmp(&b.0))
                .map(|(_, tag, r)| Target {
                    commit: r.commit.clone(),
                    refname: r.name.clone(),
                    tag: Some(tag.to_owned()),
                })
                .ok_or_else(|| format!("no release tag matches `{pattern}`"))
        }
    }
}

/// The version a release tag names: the tag from its first digit (`v1.2.0` -> `1.2.0`).
pub fn tag_version(tag: &str) -> Option<&str> {
    tag.find(|c: char| c.is_ascii_digit()).map(|i| &tag[i..])
}

/// A release tag's numbers (`v1.10.2` -> [1, 10, 2]); `None` for anything
/// else, such as pre-releases (`1.0.0-rc.1`).
fn release_numbers(tag: &str) -> Option<Vec<u64>> {
    tag_version(tag)?
        .split('.')
        .map(|part| part.parse().ok())
        .collect()
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(list: &[(&str, &str)]) -> Vec<Ref> {
        list.iter()
            .map(|(n, c)| Ref {
                name: (*n).to_owned(),
                commit: (*c).to_owned(),
            })
            .collect()
    }

    #[test]
    fn newest_release_tag_wins_numerically() {
        let refs = refs(&[
            ("HEAD", "h"),
            ("refs/heads/main", "m"),
            ("refs/tags/v1.9.0", "a"),
            ("refs/tags/v1.10.0", "b"),
            ("refs/tags/v2.0.0-rc.1", "c"),
            ("refs/tags/other-3.0", "d"),
        ]);
        let tags = |p: Option<&str>| Update::Tags {
            tag_pattern: p.map(str::to_owned),
            help: vec![],
        };
        let t = pick(&tags(Some("v*")), &refs).unwrap();
        assert_eq!(
            (t.commit.as_str(), t.tag.as_deref()),
            ("b", Some("v1.10.0"))
        );
        assert_eq!(pick(&tags(None), &refs).unwrap().commit, "d");
        assert_eq!(
            pick(&tags(Some("release-*")), &refs).unwrap_err(),
            "no release tag matches `release-*`"
        );
        let head = |b: Option<&str>| Update::BranchHead {
            branch: b.map(str::to_owned),
            help: vec![],
        };
        assert_eq!(pick(&head(None), &refs).unwrap().commit, "h");
        assert_eq!(pick(&head(Some("main")), &refs).unwrap().commit, "m");
        assert_eq!(
            pick(&head(Some("dev")), &refs).unwrap_err(),
            "the remote has no refs/heads/dev"
        );
    }

    #[test]
    fn globs() {
        assert!(glob("v*", "v1.0"));
        assert!(!glob("v*", "x1.0"));
        assert!(glob("*-stable", "1.0-stable"));
        assert!(glob("a*b*c", "a1b2c"));
        assert!(!glob("a*b*c", "a1c"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exactly"));
        assert_eq!(tag_version("allegedly-v0.3.2"), Some("0.3.2"));
    }
}
