#pragma once

#include <string>

namespace crisisline::test {

// A PEM certificate and its PEM (unencrypted PKCS#8) private key.
struct pem_pair {
  std::string certificate;
  std::string private_key;
};

// Generates a fresh P-256 key and a self-signed X.509 v3 certificate for
// "localhost" and 127.0.0.1 (subjectAltName), valid from an hour ago for a
// day. Made with the OpenSSL API at test time: no key is ever committed.
// Throws std::runtime_error with OpenSSL's reason on failure.
pem_pair make_self_signed_certificate();

}  // namespace crisisline::test
