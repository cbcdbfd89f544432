#include "app/static_files.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

using namespace crisisline;
using crisisline::app::embedded_file;
using crisisline::app::static_files;

namespace {

net::http_request get(std::string path, std::vector<std::pair<std::string, std::string>> h = {}) {
  net::http_request r;
  r.method = "GET";
  r.path = std::move(path);
  r.headers = std::move(h);
  return r;
}

std::string header(const net::http_response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

const embedded_file sample[] = {{"index.html", "<!doctype html><title>t</title>"},
                                {"console.css", "body{}"},
                                {"app.js", "export const a = `${1}`;"},
                                {"logo.svg", "<svg/>"}};

}  // namespace

TEST_CASE("each file is served with its content type and the security headers") {
  const static_files files(sample);
  struct expect {
    std::string path;
    std::string content_type;
    std::string body;
  };
  for (const auto& e :
       {expect{"/", "text/html; charset=utf-8", "<!doctype html><title>t</title>"},
        expect{"/console/index.html", "text/html; charset=utf-8",
               "<!doctype html><title>t</title>"},
        expect{"/console/console.css", "text/css; charset=utf-8", "body{}"},
        expect{"/console/app.js", "text/javascript; charset=utf-8", "export const a = `${1}`;"},
        expect{"/console/logo.svg", "image/svg+xml", "<svg/>"}}) {
    INFO(e.path);
    const auto r = files.serve(get(e.path));
    CHECK(r.status == 200);
    CHECK(r.content_type == e.content_type);
    CHECK(r.body == e.body);
    CHECK(header(r, "X-Content-Type-Options") == "nosniff");
    CHECK(header(r, "Cache-Control") == "no-cache");
    const auto csp = header(r, "Content-Security-Policy");
    CHECK(csp.find("default-src 'none'") != std::string::npos);
    CHECK(csp.find("script-src 'self'") != std::string::npos);
    CHECK(csp.find("unsafe-inline") == std::string::npos);
    CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
    CHECK_FALSE(header(r, "ETag").empty());
  }
}

TEST_CASE("an unknown file is 404 with a JSON error and nothing of any file") {
  const static_files files(sample);
  for (const std::string path :
       {"/console/missing.js", "/console/", "/index.html", "/console/INDEX.HTML", "/consoleapp.js",
        "/console/app.js/", "/console/app.js%00", "/console/./app.js"}) {
    INFO(path);
    const auto r = files.serve(get(path));
    CHECK(r.status == 404);
    CHECK(r.content_type == "application/json");
    CHECK(r.body.find(R"("error":"not_found")") != std::string::npos);
    CHECK(header(r, "X-Content-Type-Options") == "nosniff");
  }
}

TEST_CASE("no path reaches outside the embedded files") {
  const static_files files(sample);
  for (const std::string path :
       {"/console/../index.html", "/console/..%2findex.html", "/console/%2e%2e/index.html",
        "/console/../../../etc/passwd", "/console//etc/passwd", "/console/..\\index.html",
        "/console/%2fetc%2fpasswd", "/../console/app.js"}) {
    INFO(path);
    const auto r = files.serve(get(path));
    CHECK(r.status == 404);
    CHECK(r.body.find("<!doctype") == std::string::npos);
  }
}

TEST_CASE("a matching If-None-Match gets 304 without a body and a changed file a new ETag") {
  const static_files files(sample);
  const auto first = files.serve(get("/console/app.js"));
  const auto tag = header(first, "ETag");
  REQUIRE(tag.size() > 2);

  const auto again = files.serve(get("/console/app.js", {{"if-none-match", tag}}));
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(header(again, "ETag") == tag);
  CHECK(files.serve(get("/console/app.js", {{"if-none-match", "\"x\", W/" + tag}})).status == 304);
  CHECK(files.serve(get("/console/app.js", {{"if-none-match", "\"other\""}})).status == 200);
  CHECK(files.serve(get("/console/console.css", {{"if-none-match", tag}})).status == 200);

  const embedded_file changed[] = {{"app.js", "export const a = 2;"}};
  CHECK(header(static_files(changed).serve(get("/console/app.js")), "ETag") != tag);
}

TEST_CASE("a file without a known content type is refused when the set is built") {
  const embedded_file odd[] = {{"notes.exe", "MZ"}};
  CHECK_THROWS_AS(static_files(odd), std::invalid_argument);
}

TEST_CASE("the shipped console has index.html and each file it references") {
  const static_files files(app::web_console_files());
  const auto index = files.serve(get("/"));
  REQUIRE(index.status == 200);
  CHECK(index.body.find("<script") != std::string::npos);
  CHECK(index.body.find("<script>") == std::string::npos);
  CHECK(index.body.find(" style=") == std::string::npos);
  // Every src="/console/x" and href="/console/x" in the page must be served.
  for (const std::string attr : {"src=\"", "href=\""}) {
    for (auto at = index.body.find(attr); at != std::string::npos;
         at = index.body.find(attr, at + 1)) {
      const auto start = at + attr.size();
      const auto url = index.body.substr(start, index.body.find('"', start) - start);
      if (!url.starts_with("/console/")) continue;
      INFO(url);
      CHECK(files.serve(get(url)).status == 200);
    }
  }
  for (const auto& f : app::web_console_files()) {
    INFO(f.name);
    CHECK(files.serve(get("/console/" + std::string(f.name))).status == 200);
  }
}
