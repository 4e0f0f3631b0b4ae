//! Whom TLS trusts: the platform verifier (on Linux the system's CA store, or
//! `SSL_CERT_FILE` / `SSL_CERT_DIR` when set), loaded on the first handshake rather than
//! when the client is built, so an http:// or file:// mirror never reads (or fails on)
//! the trust store. A store that cannot be loaded fails that handshake as an untrusted
//! certificate, which the fetcher reports with the `SSL_CERT_FILE` hint.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use rustls_platform_verifier::Verifier;

/// A rustls client configuration (ring, TLS 1.2 and 1.3) that verifies with the
/// platform's trust store, loaded lazily.
pub(super) fn client_config() -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(LazyVerifier {
        provider: Arc::clone(&provider),
        inner: OnceLock::new(),
    });
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous() // a custom verifier: the platform's, wrapped to load late
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

#[derive(Debug)]
struct LazyVerifier {
    provider: Arc<CryptoProvider>,
    inner: OnceLock<Result<Verifier, String>>,
}

impl LazyVerifier {
    fn verifier(&self) -> Result<&Verifier, rustls::Error> {
        self.inner
            .get_or_init(|| Verifier::new(Arc::clone(&self.provider)).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|why| {
                rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(
                    std::io::Error::other(format!(
                        "no trusted certificate authorities could be loaded ({why})"
                    )),
                ))))
            })
    }
}

impl ServerCertVerifier for LazyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier()?.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        // What the provider can check: known without loading the store.
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
