#include "tls_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace crisisline::test {
namespace {

// OpenSSL's queued reasons, or the errno when there are none.
std::string reasons(std::string_view what) {
  std::string out(what);
  out += ": ";
  bool any = false;
  char buf[256];
  while (const auto e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (any) out += "; ";
    out += buf;
    any = true;
  }
  if (!any) out += errno != 0 ? std::strerror(errno) : "connection closed";
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

tls_client::tls_client(std::uint16_t port, const tls_client_options& options) {
  // A constructor that throws never runs the destructor: free what was made.
  try {
    connect_and_handshake(port, options);
  } catch (...) {
    release();
    throw;
  }
}

void tls_client::connect_and_handshake(std::uint16_t port, const tls_client_options& options) {
  ERR_clear_error();
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (!ctx_) throw tls_error(reasons("SSL_CTX_new"));
  if (options.allow_legacy) {
    SSL_CTX_set_security_level(ctx_, 0);
    SSL_CTX_set_cipher_list(ctx_, "ALL:@SECLEVEL=0");
  }
  // SSL_CTX_set_{min,max}_proto_version() are macros around these calls.
  if (options.min_version != 0)
    SSL_CTX_ctrl(ctx_, SSL_CTRL_SET_MIN_PROTO_VERSION, options.min_version, nullptr);
  if (options.max_version != 0)
    SSL_CTX_ctrl(ctx_, SSL_CTRL_SET_MAX_PROTO_VERSION, options.max_version, nullptr);
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(options.trusted_certificate.data(),
                        static_cast<int>(options.trusted_certificate.size())),
        &BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
    if (!cert || X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), cert.get()) != 1)
      throw tls_error(reasons("cannot trust the test certificate"));
  }

  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw tls_error(reasons("socket"));
  timeval tv{};
  tv.tv_sec = options.timeout.count() / 1000;
  tv.tv_usec = static_cast<suseconds_t>((options.timeout.count() % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    throw tls_error(reasons("connect"));

  ssl_ = SSL_new(ctx_);
  if (!ssl_ || SSL_set_fd(ssl_, fd_) != 1) throw tls_error(reasons("SSL_new"));
  // SSL_set_tlsext_host_name() is a macro with a C cast; this is what it does.
  SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
           const_cast<char*>(options.server_name.c_str()));
  SSL_set1_host(ssl_, options.server_name.c_str());
  errno = 0;
  if (SSL_connect(ssl_) != 1) throw tls_error(reasons("TLS handshake"));
}

tls_client::~tls_client() {
  release();
}

void tls_client::release() {
  if (ssl_) SSL_free(ssl_);
  if (ctx_) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
  ssl_ = nullptr;
  ctx_ = nullptr;
  fd_ = -1;
}

std::string tls_client::protocol() const {
  return SSL_get_version(ssl_);
}

long tls_client::verify_result() const {
  return SSL_get_verify_result(ssl_);
}

void tls_client::read_some() {
  char buf[16384];
  errno = 0;
  const int n = SSL_read(ssl_, buf, sizeof buf);
  if (n <= 0) throw tls_error(reasons("read"));
  buffer_.append(buf, static_cast<std::size_t>(n));
}

http_response tls_client::request(std::string_view method, std::string_view target,
                                  std::string_view body, const http_headers& headers) {
  std::string out;
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: localhost\r\n");
  for (const auto& [k, v] : headers) out.append(k).append(": ").append(v).append("\r\n");
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  out.append(body);
  errno = 0;
  if (SSL_write(ssl_, out.data(), static_cast<int>(out.size())) != static_cast<int>(out.size()))
    throw tls_error(reasons("write"));

  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) read_some();
  const std::string head = buffer_.substr(0, end);
  buffer_.erase(0, end + 4);

  http_response res;
  std::size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.1 "))
    throw tls_error("malformed status line: " + status_line);
  res.status = std::stoi(status_line.substr(9, 3));
  while (line_end != std::string::npos) {
    const auto start = line_end + 2;
    line_end = head.find("\r\n", start);
    const auto line =
        head.substr(start, line_end == std::string::npos ? line_end : line_end - start);
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    res.headers[lower(line.substr(0, colon))] = value;
  }
  const auto length = static_cast<std::size_t>(
      std::stoul(res.header("content-length").empty() ? "0" : res.header("content-length")));
  while (buffer_.size() < length) read_some();
  res.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return res;
}

std::string tls_client::renegotiate() {
  ERR_clear_error();
  errno = 0;
  if (SSL_renegotiate(ssl_) != 1 || SSL_do_handshake(ssl_) != 1) return reasons("renegotiate");
  return {};
}

bool tls_client::wait_closed() {
  char buf[1024];
  for (;;) {
    errno = 0;
    const int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) continue;
    const int err = SSL_get_error(ssl_, n);
    ERR_clear_error();
    // SO_RCVTIMEO ran out: the connection is still open.
    if (err == SSL_ERROR_WANT_READ ||
        (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))) {
      return false;
    }
    return true;
  }
}

}  // namespace crisisline::test
