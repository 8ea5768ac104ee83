// Generation in shards (tools/run_zdc.h Shard): the shards' rows tile the job in order, each shard
// runs whole batches of the job, and bad shard specifications are refused by name.
#include <doctest/doctest.h>

#include "base/error.h"
#include "tools/run_zdc.h"

using namespace dg::tools;

TEST_CASE("shards tile the job's rows in order, in whole batches") {
  for (int64_t n : {1, 5, 44, 100})
    for (int64_t regen : {1, 3})
      for (int64_t batch : {1, 7, 256})
        for (int64_t count : {1, 2, 3, 8}) {
          CAPTURE(n);
          CAPTURE(regen);
          CAPTURE(batch);
          CAPTURE(count);
          int64_t next = 0;
          for (int64_t i = 0; i < count; ++i) {
            const RowRange r = shard_rows(n, regen, batch, {i, count});
            if (r.last == r.first) continue;  // more shards than batches
            CHECK(r.first == next);
            // A shard starts where a batch of the whole job starts: at a multiple of the batch
            // within a regeneration.
            CHECK((r.first % n) % batch == 0);
            next = r.last;
          }
          CHECK(next == n * regen);
        }
  // 4 batches (2 regenerations of 2) over 3 shards: 1, 1 and 2 batches.
  CHECK(shard_rows(10, 2, 5, {0, 3}).last == 5);
  CHECK(shard_rows(10, 2, 5, {1, 3}).first == 5);
  CHECK(shard_rows(10, 2, 5, {2, 3}).first == 10);
  CHECK(shard_rows(10, 2, 5, {2, 3}).last == 20);
  // More shards than batches: some have nothing.
  CHECK(shard_rows(3, 1, 256, {0, 2}).last == 0);
  CHECK(shard_rows(3, 1, 256, {1, 2}).last == 3);
}

TEST_CASE("shard specifications") {
  CHECK(parse_shard("0/1", "--shard").count == 1);
  const Shard s = parse_shard("2/5", "--shard");
  CHECK(s.index == 2);
  CHECK(s.count == 5);
  for (const char* bad : {"", "3", "3/3", "-1/2", "1/0", "a/2", "1/2x", "1/2/3"})
    CHECK_THROWS_WITH_AS(parse_shard(bad, "--shard"), doctest::Contains("--shard"), dg::Error);
}
