#include "adapters/twiml.hpp"

#include "adapters/utf8.hpp"

namespace crisisline::adapters::twiml {
namespace {

// XML 1.0 Char production.
bool xml_char(char32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

class writer {
 public:
  void open(std::string_view tag) {
    out_ += '<';
    out_ += tag;
  }
  void attr(std::string_view name, std::string_view value) {
    if (value.empty()) return;
    out_ += ' ';
    out_ += name;
    out_ += "=\"";
    out_ += xml_escape(value);
    out_ += '"';
  }
  void attr(std::string_view name, int value) { attr(name, std::to_string(value)); }
  void end_open() { out_ += '>'; }
  void self_close() { out_ += "/>"; }
  void text(std::string_view t) { out_ += xml_escape(t); }
  void close(std::string_view tag) {
    out_ += "</";
    out_ += tag;
    out_ += '>';
  }
  void element(std::string_view tag, std::string_view content) {
    open(tag);
    end_open();
    text(content);
    close(tag);
  }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

void write_say(writer& w, const say& s) {
  w.open("Say");
  w.attr("voice", s.voice);
  w.attr("language", s.language);
  w.end_open();
  w.text(s.text);
  w.close("Say");
}

std::string_view endpoint_tag(endpoint_kind k) {
  switch (k) {
    case endpoint_kind::number:
      return "Number";
    case endpoint_kind::sip:
      return "Sip";
    case endpoint_kind::client:
      return "Client";
  }
  return "Number";
}

struct verb_writer {
  writer& w;

  void operator()(const say& s) const { write_say(w, s); }
  void operator()(const pause& p) const {
    w.open("Pause");
    w.attr("length", p.seconds);
    w.self_close();
  }
  void operator()(const gather& g) const {
    w.open("Gather");
    w.attr("numDigits", g.num_digits);
    w.attr("action", g.action);
    w.attr("method", "POST");
    w.attr("timeout", g.timeout_seconds);
    if (g.prompts.empty()) {
      w.self_close();
      return;
    }
    w.end_open();
    for (const auto& s : g.prompts) write_say(w, s);
    w.close("Gather");
  }
  void operator()(const enqueue& e) const {
    w.open("Enqueue");
    w.attr("waitUrl", e.wait_url);
    if (!e.wait_url.empty()) w.attr("waitUrlMethod", "POST");
    w.attr("action", e.action);
    w.end_open();
    w.text(e.queue);
    w.close("Enqueue");
  }
  void operator()(const dial& d) const {
    w.open("Dial");
    w.attr("timeout", d.timeout_seconds);
    w.attr("action", d.action);
    w.attr("callerId", d.caller_id);
    w.end_open();
    w.element(endpoint_tag(d.endpoint.kind), d.endpoint.address);
    w.close("Dial");
  }
  void operator()(const message& m) const { w.element("Message", m.body); }
  void operator()(const redirect& r) const {
    w.open("Redirect");
    w.attr("method", "POST");
    w.end_open();
    w.text(r.url);
    w.close("Redirect");
  }
  void operator()(const hangup&) const {
    w.open("Hangup");
    w.self_close();
  }
};

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char32_t c : decode_utf8(text)) {
    switch (c) {
      case U'&':
        out += "&amp;";
        break;
      case U'<':
        out += "&lt;";
        break;
      case U'>':
        out += "&gt;";
        break;
      case U'"':
        out += "&quot;";
        break;
      case U'\'':
        out += "&apos;";
        break;
      default:
        append_utf8(out, xml_char(c) ? c : replacement_character);
    }
  }
  return out;
}

std::string render(const std::vector<verb>& verbs) {
  writer w;
  w.str() = R"(<?xml version="1.0" encoding="UTF-8"?>)";
  if (verbs.empty()) {
    w.str() += "<Response/>";
    return std::move(w.str());
  }
  w.str() += "<Response>";
  for (const auto& v : verbs) std::visit(verb_writer{w}, v);
  w.str() += "</Response>";
  return std::move(w.str());
}

std::string empty_response() {
  return render({});
}

std::string message_reply(std::string_view body) {
  return render({message{std::string(body)}});
}

std::string hold_in_queue(std::string_view hold_message, std::string_view queue,
                          std::string_view wait_url) {
  std::vector<verb> verbs;
  if (!hold_message.empty()) verbs.emplace_back(say{std::string(hold_message), {}, {}});
  verbs.emplace_back(enqueue{std::string(queue), std::string(wait_url), {}});
  return render(verbs);
}

std::string danger_menu_then_queue(std::string_view prompt, std::string_view gather_action,
                                   std::string_view hold_message, std::string_view queue,
                                   std::string_view wait_url) {
  std::vector<verb> verbs;
  verbs.emplace_back(gather{1, std::string(gather_action), 5, {say{std::string(prompt), {}, {}}}});
  if (!hold_message.empty()) verbs.emplace_back(say{std::string(hold_message), {}, {}});
  verbs.emplace_back(enqueue{std::string(queue), std::string(wait_url), {}});
  return render(verbs);
}

std::string hold_message_loop(std::string_view hold_message, int pause_seconds) {
  return render({say{std::string(hold_message), {}, {}}, pause{pause_seconds}});
}

std::string dial_nurse(const dial_endpoint& endpoint, int timeout_seconds,
                       std::string_view action) {
  return render({dial{endpoint, timeout_seconds, std::string(action), {}}});
}

}  // namespace crisisline::adapters::twiml
