//! One TLS configuration for every client in the workspace.
//!
//! rustls refuses to pick a crypto provider when more than one is compiled in, and panics
//! ("Could not automatically determine the process-level CryptoProvider") when asked for the
//! default one. The workspace therefore compiles only `ring`, and every client is handed an
//! explicit [`rustls::ClientConfig`] built here, so HTTP (reqwest) and WebSocket
//! (tokio-tungstenite) connections trust the same roots: the system store, which honours
//! `SSL_CERT_FILE` and `SSL_CERT_DIR`, or Mozilla's roots on a host that has none.

use std::sync::Arc;

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("TLS protocol versions: {0}")]
    Versions(#[from] rustls::Error),
}

/// The workspace's crypto provider.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Make [`provider`] the process default, for code that builds rustls configs on its own.
/// Harmless when a default is already installed.
pub fn install_default_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The system's trust anchors (`SSL_CERT_FILE`/`SSL_CERT_DIR` first, as OpenSSL does), or
/// Mozilla's bundled roots when the system has none (a minimal container).
pub fn system_roots() -> RootCertStore {
    let found = rustls_native_certs::load_native_certs();
    for err in &found.errors {
        tracing::debug!(error = %err, "while loading system CA certificates");
    }
    let mut roots = RootCertStore::empty();
    let (added, ignored) = roots.add_parsable_certificates(found.certs);
    if ignored > 0 {
        tracing::debug!(ignored, "unparsable system CA certificates skipped");
    }
    if added == 0 {
        tracing::warn!(
            "no usable system CA certificates; verifying TLS with the bundled webpki-roots"
        );
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    roots
}

/// A client configuration trusting `roots`, without ALPN, so the same config serves HTTP/1.1
/// and WebSocket upgrades.
pub fn client_config(roots: RootCertStore) -> Result<rustls::ClientConfig, TlsError> {
    Ok(rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// [`client_config`] with [`system_roots`].
pub fn system_client_config() -> Result<rustls::ClientConfig, TlsError> {
    client_config(system_roots())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_without_a_process_default() {
        // No default provider is installed in this test process: building must not need one.
        assert!(CryptoProvider::get_default().is_none());
        let config = client_config(system_roots()).unwrap();
        assert!(config.alpn_protocols.is_empty());
        assert!(!config.crypto_provider().cipher_suites.is_empty());
        assert!(CryptoProvider::get_default().is_none());
    }
}
