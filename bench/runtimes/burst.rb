# The Ruby workload of bench/runtimes/runtimes.py: four threads build
# records (hashes of strings of 40-2000 bytes: Ruby keeps strings over 23
# bytes in malloc'ed buffers) until the burst holds about BENCH_MIB, a
# quarter stay cached until the next burst, the rest are dropped and
# GC.start runs; then BENCH_IDLE seconds of idle; BENCH_BURSTS times. Marks
# go to BENCH_MARKS as in burst.c.
BURSTS = Integer(ENV.fetch("BENCH_BURSTS", "3"))
IDLE = Float(ENV.fetch("BENCH_IDLE", "2.5"))
MIB = Integer(ENV.fetch("BENCH_MIB", "300"))
THREADS = 4
$marks = File.open(ENV.fetch("BENCH_MARKS", File::NULL), "a")

def mark(what)
  t = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  $marks.write(format("%s %.6f\n", what, t))
  $marks.flush
end

def build(seed, budget)
  rng = Random.new(seed)
  out = []
  size = 0
  while size < budget
    n = rng.rand(40..2000)
    out << { id: out.size, name: "n" * n, tags: Array.new(3) { "t" * rng.rand(40..600) },
             score: rng.rand }
    size += n + 1000 + 200
  end
  out
end

cache = []
BURSTS.times do |b|
  mark("fill")
  cache = nil
  parts = Array.new(THREADS) { |i| Thread.new { build(b * THREADS + i, MIB * 2**20 / THREADS) } }.map(&:value)
  mark("free")
  cache = parts.flat_map { |p| p.each_slice(4).map(&:first) }
  parts = nil
  GC.start
  mark("idle")
  sleep IDLE
end
mark("end")
