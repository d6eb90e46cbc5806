// The peer's certificate failed verification: OpenSSL's verify errors, which Node gives
// as the code (DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED, UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
// ...), and Node's own name check (ERR_TLS_CERT_ALTNAME_INVALID). Not OpenSSL's other
// failures (ERR_SSL_*), which say nothing of the certificate.
const CERT_CODES = /^(?!ERR_SSL_).*(CERT|CRL|UNABLE_TO_|INVALID_CA|INVALID_PURPOSE|PATH_LENGTH_EXCEEDED|HOSTNAME_MISMATCH)/;

/** Whether a Node error code says the peer's certificate was refused: a fault of configuration, not of the moment. */
export function isCertificateCode(code: string | undefined): boolean {
  return code !== undefined && CERT_CODES.test(code);
}
