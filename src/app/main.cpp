#include <boost/program_options.hpp>
#include <iostream>

#include "app/commands.hpp"
#include "codec/config_loader.hpp"

namespace po = boost::program_options;

namespace {

constexpr const char* usage = R"(usage:
  crisisline serve [--config FILE] [--listen HOST:PORT] [--db PATH]
  crisisline export events --db PATH [--since SEQ]
  crisisline export audit --db PATH [--format jsonl|csv]
  crisisline report --db PATH (--from T --to T | --monthly YYYY-MM | --shift ID)
                    [--format text|csv|json] [--config FILE]
  crisisline explain contact ID --db PATH [--format text|json] [--config FILE]
  crisisline purge --db PATH --older-than DAYS [--config FILE]
  crisisline staff add --db PATH --username NAME --role ROLE --display-name TEXT [--password-stdin]
  crisisline staff disable|enable --db PATH --username NAME
  crisisline staff reset-password --db PATH --username NAME [--password-stdin]
  crisisline staff list --db PATH
)";

// Parses `args` against `desc` and checks required options. False when --help
// was asked for (and printed): the command has nothing more to do.
bool parse_args(const std::vector<std::string>& args, const po::options_description& desc,
                po::variables_map& vm) {
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << usage << desc;
    return false;
  }
  po::notify(vm);
  return true;
}

int run_serve(const std::vector<std::string>& args) {
  po::options_description desc("serve");
  desc.add_options()("help,h", "show help")(
      "config", po::value<std::string>(),
      "configuration file (protobuf text format); default: the embedded configuration")(
      "listen", po::value<std::string>(), "HOST:PORT to listen on (overrides the configuration)")(
      "db", po::value<std::string>(), "SQLite database file (overrides the configuration)");
  po::variables_map vm;
  if (!parse_args(args, desc, vm)) return 0;
  crisisline::app::serve_options o;
  if (vm.count("config")) o.config_path = vm["config"].as<std::string>();
  if (vm.count("listen")) o.listen = vm["listen"].as<std::string>();
  if (vm.count("db")) o.db_path = vm["db"].as<std::string>();
  return crisisline::app::serve(o);
}

int run_export_audit(const std::vector<std::string>& args) {
  po::options_description desc("export audit");
  desc.add_options()("help,h", "show help")("db", po::value<std::string>()->required(),
                                            "SQLite database file (opened read-only)")(
      "format", po::value<std::string>()->default_value("jsonl"), "jsonl or csv");
  po::variables_map vm;
  if (!parse_args({args.begin() + 1, args.end()}, desc, vm)) return 0;
  return crisisline::app::export_audit(vm["db"].as<std::string>(), vm["format"].as<std::string>());
}

int run_export(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "audit") return run_export_audit(args);
  if (args.empty() || args[0] != "events") {
    std::cerr << usage;
    return 2;
  }
  po::options_description desc("export events");
  desc.add_options()("help,h", "show help")("db", po::value<std::string>()->required(),
                                            "SQLite database file")(
      "since", po::value<std::uint64_t>()->default_value(0), "only events with seq > SEQ");
  po::variables_map vm;
  if (!parse_args({args.begin() + 1, args.end()}, desc, vm)) return 0;
  return crisisline::app::export_events(vm["db"].as<std::string>(),
                                        vm["since"].as<std::uint64_t>());
}

int run_report(const std::vector<std::string>& args) {
  po::options_description desc("report");
  desc.add_options()("help,h", "show help")("db", po::value<std::string>()->required(),
                                            "SQLite database file (opened read-only)")(
      "from", po::value<std::string>(), "window start, ISO 8601 UTC (inclusive)")(
      "to", po::value<std::string>(), "window end, ISO 8601 UTC (exclusive)")(
      "monthly", po::value<std::string>(), "YYYY-MM: the calendar month, for a monthly return")(
      "shift", po::value<std::string>(),
      "shift id (the seq of its start_shift): KPIs of its window")(
      "format", po::value<std::string>()->default_value("text"), "text, csv or json")(
      "config", po::value<std::string>(), "configuration the server runs with (default: embedded)");
  po::variables_map vm;
  if (!parse_args(args, desc, vm)) return 0;
  crisisline::app::report_options o;
  o.db_path = vm["db"].as<std::string>();
  o.format = vm["format"].as<std::string>();
  const auto opt = [&](const char* name) -> std::optional<std::string> {
    if (!vm.count(name)) return std::nullopt;
    return vm[name].as<std::string>();
  };
  o.config_path = opt("config");
  o.shift = opt("shift");
  o.from = opt("from");
  o.to = opt("to");
  o.monthly = opt("monthly");
  return crisisline::app::report(o);
}

int run_purge(const std::vector<std::string>& args) {
  po::options_description desc("purge");
  desc.add_options()("help,h", "show help")("db", po::value<std::string>()->required(),
                                            "SQLite database file of a stopped server")(
      "older-than", po::value<std::uint32_t>()->required(),
      "days: purge contacts closed longer ago than this")(
      "config", po::value<std::string>(), "the server's configuration (has the sender key secret)");
  po::variables_map vm;
  if (!parse_args(args, desc, vm)) return 0;
  crisisline::app::purge_options o;
  o.db_path = vm["db"].as<std::string>();
  o.older_than_days = vm["older-than"].as<std::uint32_t>();
  if (vm.count("config")) o.config_path = vm["config"].as<std::string>();
  return crisisline::app::purge(o);
}

int run_explain(const std::vector<std::string>& args) {
  if (args.size() < 2 || args[0] != "contact") {
    std::cerr << usage;
    return 2;
  }
  std::uint64_t id = 0;
  try {
    std::size_t used = 0;
    id = std::stoull(args[1], &used);
    if (used != args[1].size() || id == 0) throw std::invalid_argument("id");
  } catch (const std::exception&) {
    std::cerr << "crisisline explain: contact ids are positive integers, not \"" << args[1]
              << "\"\n";
    return 2;
  }
  po::options_description desc("explain contact");
  desc.add_options()("help,h", "show help")("db", po::value<std::string>()->required(),
                                            "SQLite database file (opened read-only)")(
      "format", po::value<std::string>()->default_value("text"), "text or json")(
      "config", po::value<std::string>(), "configuration the server runs with (default: embedded)");
  po::variables_map vm;
  if (!parse_args({args.begin() + 2, args.end()}, desc, vm)) return 0;
  crisisline::app::explain_options o;
  o.db_path = vm["db"].as<std::string>();
  o.format = vm["format"].as<std::string>();
  o.contact = id;
  if (vm.count("config")) o.config_path = vm["config"].as<std::string>();
  return crisisline::app::explain_contact(o);
}

int run_staff(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cerr << usage;
    return 2;
  }
  po::options_description desc("staff " + args[0]);
  desc.add_options()("help,h", "show help")("db", po::value<std::string>()->required(),
                                            "SQLite database file (created by add if missing)")(
      "username", po::value<std::string>(), "user name: a-z, 0-9, '.', '_', '-'")(
      "role", po::value<std::string>(), "nurse, supervisor, crew, admin or integration")(
      "display-name", po::value<std::string>(), "name shown to colleagues")(
      "password-stdin", "read the password from stdin instead of prompting")(
      "config", po::value<std::string>(),
      "configuration the server runs with, for the password rules (default: embedded)");
  po::variables_map vm;
  if (!parse_args({args.begin() + 1, args.end()}, desc, vm)) return 0;
  crisisline::app::staff_options o;
  o.action = args[0];
  o.db_path = vm["db"].as<std::string>();
  const auto opt = [&](const char* name) {
    return vm.count(name) ? vm[name].as<std::string>() : std::string{};
  };
  o.username = opt("username");
  o.role = opt("role");
  o.display_name = opt("display-name");
  o.password_stdin = vm.count("password-stdin") > 0;
  auto config = vm.count("config") ? crisisline::codec::load_config_file(opt("config"))
                                   : crisisline::codec::default_config();
  if (auto* err = std::get_if<crisisline::codec::config_error>(&config)) {
    std::cerr << "crisisline staff: invalid configuration: " << err->describe() << "\n";
    return 2;
  }
  o.min_password_length = std::get<crisisline::v1::Config>(config).console().min_password_length();
  return crisisline::app::staff(o);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << usage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "serve") return run_serve(args);
    if (command == "purge") return run_purge(args);
    if (command == "export") return run_export(args);
    if (command == "report") return run_report(args);
    if (command == "explain") return run_explain(args);
    if (command == "staff") return run_staff(args);
    std::cerr << "unknown command: " << command << "\n" << usage;
    return 2;
  } catch (const po::error& e) {
    std::cerr << "crisisline " << command << ": " << e.what() << "\n" << usage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "crisisline " << command << ": fatal: " << e.what() << "\n";
    return 1;
  }
}
