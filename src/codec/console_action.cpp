#include "codec/console_action.hpp"

namespace crisisline::codec {

std::optional<console_action> console_action_of(const v1::Event& e) {
  if (e.payload_case() != v1::Event::kConsole) return std::nullopt;
  const auto& cmd = e.console();
  const auto* oneof = v1::ConsoleCommand::descriptor()->FindOneofByName("command");
  const auto* field = cmd.GetReflection()->GetOneofFieldDescriptor(cmd, oneof);
  if (!field) return console_action{.command = "none", .contact_id = 0};
  console_action out{.command = field->name(), .contact_id = 0};
  if (field->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE) return out;
  const auto& sub = cmd.GetReflection()->GetMessage(cmd, field);
  const auto* id = sub.GetDescriptor()->FindFieldByName("contact_id");
  if (id && id->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_UINT64 &&
      !id->is_repeated()) {
    out.contact_id = sub.GetReflection()->GetUInt64(sub, id);
  }
  return out;
}

}  // namespace crisisline::codec
