# Sidekiq, measured by camel-rq's benchmark suite (io.camelrq.bench.Peers).
#
# Usage: ruby sidekiq_bench.rb REDIS_URL JOBS PAYLOAD_FILE TIMEOUT_S
#
# Empties its Redis database (the one in REDIS_URL), warms the client up (pushes to a queue nobody
# reads, not timed), then pushes JOBS jobs one at a time (Sidekiq::Client.push) to the queue "bench" and
# times that; then starts a sidekiq process at Sidekiq's default concurrency on that queue, with
# worker.rb, and waits until worker.rb reports that all jobs ran (bench:drain_s, seconds from the
# process's :startup event to the last completion), and stops the process (TERM). Prints one line:
#
# PEER-RESULT peer=sidekiq version=V jobs=N enqueue_s=S drain_s=S concurrency=C
require "sidekiq"
require "sidekiq/api"

# Debian pairs Sidekiq 6.4 with redis-rb 4.8, which warns on stderr about every SADD (once per push)
# and BRPOP: a cost of that pairing, not of Sidekiq, so silence it
Redis.silence_deprecations = true

url, jobs_arg, payload_file, timeout_arg = ARGV
jobs = Integer(jobs_arg)
deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + Float(timeout_arg)
payload = File.read(payload_file, encoding: "UTF-8")
here = File.dirname(File.expand_path(__FILE__))
concurrency = Sidekiq::DEFAULTS[:concurrency]

Sidekiq.configure_client { |config| config.redis = { url: url } }
Sidekiq.logger.level = Logger::WARN
Sidekiq.redis(&:flushdb)

[200, jobs / 10].min.times { Sidekiq::Client.push("class" => "NoopJob", "queue" => "warmup", "args" => [payload]) }
Sidekiq::Queue.new("warmup").clear

t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
jobs.times { Sidekiq::Client.push("class" => "NoopJob", "queue" => "bench", "args" => [payload]) }
enqueue_s = Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
queued = Sidekiq::Queue.new("bench").size
abort "#{queued} of #{jobs} jobs queued" unless queued == jobs

sidekiq = begin
  Gem.bin_path("sidekiq", "sidekiq")
rescue Gem::Exception
  "sidekiq"
end
log = File.join(here, "sidekiq.log")
pid = Process.spawn({ "REDIS_URL" => url, "BENCH_JOBS" => jobs.to_s }, RbConfig.ruby, sidekiq,
                    "-r", File.join(here, "worker.rb"), "-c", concurrency.to_s, "-q", "bench", "-e", "production",
                    chdir: here, out: log, err: log)
drain_s = nil
begin
  loop do
    drain_s = Sidekiq.redis { |r| r.get("bench:drain_s") }
    break if drain_s

    if Process.wait(pid, Process::WNOHANG)
      abort "sidekiq exited (#{$?}) before all jobs ran; see #{log}"
    end
    if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
      abort "timed out: #{jobs - Sidekiq::Queue.new('bench').size} of #{jobs} jobs taken; see #{log}"
    end
    sleep 0.01
  end
ensure
  begin
    Process.kill("TERM", pid)
    Process.wait(pid)
  rescue Errno::ESRCH, Errno::ECHILD
    # already gone
  end
end
left = Sidekiq::Queue.new("bench").size
dead = Sidekiq::DeadSet.new.size + Sidekiq::RetrySet.new.size
abort "#{left} jobs still queued, #{dead} retrying or dead" unless left.zero? && dead.zero?
Sidekiq.redis(&:flushdb)
puts "PEER-RESULT peer=sidekiq version=#{Sidekiq::VERSION} jobs=#{jobs} enqueue_s=#{format('%.6f', enqueue_s)} " \
     "drain_s=#{drain_s} concurrency=#{concurrency}"
