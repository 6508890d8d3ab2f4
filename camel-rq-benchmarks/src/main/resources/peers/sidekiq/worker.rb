# The job of the Sidekiq peer benchmark, loaded by the sidekiq process (sidekiq -r ./worker.rb).
#
# The job itself does nothing. To know when the drain is over without a Redis round trip per job, the
# process counts completed jobs in memory; the job that completes the BENCH_JOBS-th writes the seconds
# from the :startup event (fired just before the processor threads start) to the last completion into
# the key bench:drain_s.
require "sidekiq"

# Debian pairs Sidekiq 6.4 with redis-rb 4.8, which warns on stderr about every SADD (once per push)
# and BRPOP: a cost of that pairing, not of Sidekiq, so silence it
Redis.silence_deprecations = true

# per-job start/done log lines off, as in the other peers and in camel-rq's no-op routes
Sidekiq.logger.level = Logger::WARN

module BenchDrain
  LOCK = Mutex.new
  @done = 0
  @started = nil
  @expected = Integer(ENV.fetch("BENCH_JOBS"))

  class << self
    def started!
      @started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end

    def completed!
      last = LOCK.synchronize { (@done += 1) == @expected }
      return unless last

      seconds = Process.clock_gettime(Process::CLOCK_MONOTONIC) - @started
      Sidekiq.redis { |r| r.set("bench:drain_s", format("%.6f", seconds)) }
    end
  end
end

Sidekiq.configure_server do |config|
  config.on(:startup) { BenchDrain.started! }
end

class NoopJob
  include Sidekiq::Worker

  def perform(_payload)
    BenchDrain.completed!
  end
end
