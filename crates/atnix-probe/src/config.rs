//! Module configuration, read from TOML:
//!
//! ```toml
//! [modules.pds_quick]
//! prober = "pds"
//! firehose = false
//! list_repos_max_pages = 1
//! ```
//!
//! Every prober is also available, with its defaults, as a module of the same name.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub modules: BTreeMap<String, ModuleConfig>,
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid configuration: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("module {module}: {message}")]
    Invalid { module: String, message: String },
}

impl Config {
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text)?;
        for (name, module) in &config.modules {
            if let Some(t) = module.timeout_seconds()
                && !(t.is_finite() && t > 0.0 && t <= 300.0)
            {
                return Err(ConfigError::Invalid {
                    module: name.clone(),
                    message: format!("timeout_seconds must be in (0, 300], got {t}"),
                });
            }
        }
        Ok(config)
    }

    /// The module called `name`: from the file, or else the prober of that name with defaults.
    pub fn module(&self, name: &str) -> Option<ModuleConfig> {
        self.modules
            .get(name)
            .cloned()
            .or_else(|| ModuleConfig::default_for(name))
    }

    /// Every module name that can be used: the configured ones and the built-in defaults.
    pub fn module_names(&self) -> Vec<String> {
        let mut names: Vec<String> = PROBERS.iter().map(|s| s.to_string()).collect();
        for name in self.modules.keys() {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        names
    }
}

/// The prober names.
pub const PROBERS: &[&str] = &[
    "pds",
    "relay",
    "jetstream",
    "plc",
    "labeler",
    "feedgen",
    "handle",
];

/// One module: a prober and its options.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "prober", rename_all = "lowercase")]
pub enum ModuleConfig {
    Pds(PdsOptions),
    Relay(RelayOptions),
    Jetstream(JetstreamOptions),
    Plc(PlcOptions),
    Labeler(LabelerOptions),
    Feedgen(FeedgenOptions),
    Handle(HandleOptions),
}

impl ModuleConfig {
    pub fn default_for(prober: &str) -> Option<Self> {
        Some(match prober {
            "pds" => ModuleConfig::Pds(PdsOptions::default()),
            "relay" => ModuleConfig::Relay(RelayOptions::default()),
            "jetstream" => ModuleConfig::Jetstream(JetstreamOptions::default()),
            "plc" => ModuleConfig::Plc(PlcOptions::default()),
            "labeler" => ModuleConfig::Labeler(LabelerOptions::default()),
            "feedgen" => ModuleConfig::Feedgen(FeedgenOptions::default()),
            "handle" => ModuleConfig::Handle(HandleOptions::default()),
            _ => return None,
        })
    }

    pub fn prober(&self) -> &'static str {
        match self {
            ModuleConfig::Pds(_) => "pds",
            ModuleConfig::Relay(_) => "relay",
            ModuleConfig::Jetstream(_) => "jetstream",
            ModuleConfig::Plc(_) => "plc",
            ModuleConfig::Labeler(_) => "labeler",
            ModuleConfig::Feedgen(_) => "feedgen",
            ModuleConfig::Handle(_) => "handle",
        }
    }

    /// The module's own probe timeout; the scrape timeout still caps it.
    pub fn timeout_seconds(&self) -> Option<f64> {
        match self {
            ModuleConfig::Pds(o) => o.timeout_seconds,
            ModuleConfig::Relay(o) => o.timeout_seconds,
            ModuleConfig::Jetstream(o) => o.timeout_seconds,
            ModuleConfig::Plc(o) => o.timeout_seconds,
            ModuleConfig::Labeler(o) => o.timeout_seconds,
            ModuleConfig::Feedgen(o) => o.timeout_seconds,
            ModuleConfig::Handle(o) => o.timeout_seconds,
        }
    }
}

/// `pds`: `_health`, describeServer, listRepos, firehose.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PdsOptions {
    pub timeout_seconds: Option<f64>,
    /// Pages of `com.atproto.sync.listRepos` read to count accounts (0 disables).
    pub list_repos_max_pages: u32,
    /// `limit` of each listRepos page (1..=1000).
    pub list_repos_page_size: u32,
    /// Connect to `subscribeRepos` and check a ping is answered.
    pub firehose: bool,
    /// Find the firehose head seq by probing cursors (a few short connections).
    pub firehose_head_seq: bool,
    /// How long a cursor connection may stay silent before it counts as "at the head".
    pub firehose_quiet_ms: u64,
    /// Connections spent on the head-seq search at most.
    pub firehose_max_steps: u32,
}

impl Default for PdsOptions {
    fn default() -> Self {
        Self {
            timeout_seconds: None,
            list_repos_max_pages: 5,
            list_repos_page_size: 1000,
            firehose: true,
            firehose_head_seq: true,
            firehose_quiet_ms: 250,
            firehose_max_steps: 48,
        }
    }
}

/// `relay`: health, listHosts and, for one PDS, getHostStatus and seq lag.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelayOptions {
    pub timeout_seconds: Option<f64>,
    /// The PDS whose crawl state is checked (host name or URL); `&host=` on /probe overrides it.
    pub pds_host: Option<String>,
    /// Pages of `listHosts` (limit 1000) read to count hosts by status (0 disables).
    pub list_hosts_max_pages: u32,
    /// Also find the PDS's head seq to compute the relay's lag on it.
    pub seq_lag: bool,
    pub firehose_quiet_ms: u64,
    pub firehose_max_steps: u32,
}

impl Default for RelayOptions {
    fn default() -> Self {
        Self {
            timeout_seconds: None,
            pds_host: None,
            list_hosts_max_pages: 1,
            seq_lag: true,
            firehose_quiet_ms: 250,
            firehose_max_steps: 48,
        }
    }
}

/// `jetstream`: first event on `/subscribe` and its `time_us` lag.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JetstreamOptions {
    pub timeout_seconds: Option<f64>,
    /// `wantedCollections` filters (empty: everything).
    pub wanted_collections: Vec<String>,
    /// Longest wait for the first event.
    pub first_event_timeout_seconds: f64,
}

impl Default for JetstreamOptions {
    fn default() -> Self {
        Self {
            timeout_seconds: None,
            wanted_collections: Vec::new(),
            first_event_timeout_seconds: 5.0,
        }
    }
}

/// `plc`: `/_health` and the age of the newest operation in `/export`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlcOptions {
    pub timeout_seconds: Option<f64>,
    /// How far back `/export?after=` starts.
    pub export_lookback_seconds: u64,
    /// Pages of 1000 operations read at most.
    pub export_max_pages: u32,
}

impl Default for PlcOptions {
    fn default() -> Self {
        Self {
            timeout_seconds: None,
            export_lookback_seconds: 3600,
            export_max_pages: 3,
        }
    }
}

/// `labeler`: `queryLabels` (and Ozone's `_health` when present).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LabelerOptions {
    pub timeout_seconds: Option<f64>,
    pub uri_patterns: String,
}

impl Default for LabelerOptions {
    fn default() -> Self {
        Self {
            timeout_seconds: None,
            uri_patterns: "*".into(),
        }
    }
}

/// `feedgen`: `/.well-known/did.json`, describeFeedGenerator, optionally one getFeedSkeleton.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedgenOptions {
    pub timeout_seconds: Option<f64>,
    pub skeleton: bool,
}

impl Default for FeedgenOptions {
    fn default() -> Self {
        Self {
            timeout_seconds: None,
            skeleton: true,
        }
    }
}

/// `handle`: DNS TXT `_atproto.<handle>`, `https://<handle>/.well-known/atproto-did`, DID document.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HandleOptions {
    pub timeout_seconds: Option<f64>,
    pub dns: bool,
    pub http: bool,
    /// Ask this base URL for `/.well-known/atproto-did` with `Host: <handle>` instead of
    /// `https://<handle>` (checks a PDS's view of its own handles, e.g. `http://127.0.0.1:2583`).
    pub http_base: Option<String>,
    /// PLC directory used to resolve `did:plc`.
    pub plc_url: String,
    /// If set, the DID document's `#atproto_pds` endpoint must equal this URL.
    pub expect_pds: Option<String>,
}

impl Default for HandleOptions {
    fn default() -> Self {
        Self {
            timeout_seconds: None,
            dns: true,
            http: true,
            http_base: None,
            plc_url: "https://plc.directory".into(),
            expect_pds: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_modules_and_rejects_unknown_keys() {
        let c = Config::from_toml(
            "[modules.quick]\nprober = \"pds\"\nfirehose = false\ntimeout_seconds = 3\n",
        )
        .unwrap();
        match c.module("quick").unwrap() {
            ModuleConfig::Pds(o) => {
                assert!(!o.firehose);
                assert_eq!(o.list_repos_max_pages, 5);
                assert_eq!(o.timeout_seconds, Some(3.0));
            }
            other => panic!("{other:?}"),
        }
        assert!(c.module("relay").is_some());
        assert!(c.module("nope").is_none());
        assert!(Config::from_toml("[modules.x]\nprober = \"pds\"\nfirehos = false\n").is_err());
        assert!(Config::from_toml("[modules.x]\nprober = \"smtp\"\n").is_err());
        assert!(
            Config::from_toml("[modules.x]\nprober = \"pds\"\ntimeout_seconds = -1\n").is_err()
        );
    }
}
