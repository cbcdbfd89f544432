// Micro-benchmarks of the per-event work on the ingest and recovery paths.
#include <benchmark/benchmark.h>
#include <google/protobuf/util/json_util.h>

#include "codec/event_codec.hpp"
#include "core/engine.hpp"

using namespace crisisline;

namespace {

v1::Event sample_text(int i) {
  v1::Event e;
  e.set_source("twilio");
  e.set_source_event_id("SM" + std::to_string(1'000'000'000 + i) + "0123456789abcdef0123");
  e.mutable_actor()->set_kind(v1::Actor::PROVIDER);
  e.mutable_actor()->set_id("twilio");
  *e.mutable_recorded_time() = codec::to_proto_time(core::from_micros(1'763'769'600'000'000 + i));
  auto* t = e.mutable_text();
  t->set_message_id(e.source_event_id());
  t->set_from("+447700900123");
  t->set_to("+447700900000");
  t->set_body(
      "I can't cope any more, I have taken 16 paracetamol and I'm scared. Please can someone call "
      "me back");
  t->set_num_segments(1);
  return e;
}

v1::EventBatch sample_batch(int n) {
  v1::EventBatch b;
  for (int i = 0; i < n; ++i) *b.add_events() = sample_text(i);
  return b;
}

void parse_batch_protobuf(benchmark::State& state) {
  const auto body = sample_batch(static_cast<int>(state.range(0))).SerializeAsString();
  v1::EventBatch b;
  for (auto _ : state) {
    b.Clear();
    benchmark::DoNotOptimize(b.ParseFromString(body));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(parse_batch_protobuf)->Arg(1)->Arg(100);

void parse_batch_json(benchmark::State& state) {
  std::string body;
  (void)google::protobuf::util::MessageToJsonString(sample_batch(static_cast<int>(state.range(0))),
                                                    &body);
  v1::EventBatch b;
  for (auto _ : state) {
    b.Clear();
    benchmark::DoNotOptimize(google::protobuf::util::JsonStringToMessage(body, &b).ok());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(parse_batch_json)->Arg(1)->Arg(100);

void serialize_event(benchmark::State& state) {
  const auto e = sample_text(1);
  std::string out;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(e.SerializeToString(&out));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(serialize_event);

void event_to_core(benchmark::State& state) {
  const auto e = sample_text(1);
  for (auto _ : state) benchmark::DoNotOptimize(codec::to_core(e));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(event_to_core);

// What recovery does per stored event: parse the blob, convert, apply.
void replay_event(benchmark::State& state) {
  std::vector<std::string> blobs;
  for (int i = 0; i < 1024; ++i) blobs.push_back(sample_text(i).SerializeAsString());
  core::engine engine;
  v1::Event e;
  std::uint64_t seq = 0;
  for (auto _ : state) {
    const auto& blob = blobs[seq % blobs.size()];
    e.Clear();
    benchmark::DoNotOptimize(e.ParseFromArray(blob.data(), static_cast<int>(blob.size())));
    auto ev = codec::to_core(e);
    ev.seq = ++seq;
    benchmark::DoNotOptimize(engine.apply(ev));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(replay_event);

}  // namespace

BENCHMARK_MAIN();
