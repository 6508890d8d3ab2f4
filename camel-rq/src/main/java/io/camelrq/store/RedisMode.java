package io.camelrq.store;

import java.util.Locale;

/**
 * How the component reaches Redis: one server, a Redis Cluster, or the master that Redis Sentinel names.
 * The option {@code redisMode}; {@link #resolve} checks it against {@code redisUrl}.
 */
public enum RedisMode {

    /** One server (or a proxy in front of one), through Lettuce's RedisClient. */
    STANDALONE,
    /** A Redis Cluster, through Lettuce's RedisClusterClient; redisUrl lists seed nodes, comma-separated. */
    CLUSTER,
    /** The master a group of Sentinels names, through a redis-sentinel:// URL; followed across failovers. */
    SENTINEL;

    /** The option's value, as users write it. */
    public String optionValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The mode to use. A {@code redis-sentinel://} URL implies sentinel; a mode that contradicts the URL is an
     * error, so a typo never connects somewhere the user did not mean.
     *
     * @param configured the option's value
     * @param explicit   whether the user set the option: its default, standalone, gives way to a
     *                   redis-sentinel:// URL, while an explicit standalone contradicts one
     * @param redisUrl   the URL, or null when the application supplies its own client
     * @throws IllegalArgumentException naming the option, for an unknown mode or a contradiction
     */
    public static RedisMode resolve(String configured, boolean explicit, String redisUrl) {
        RedisMode mode = null;
        if (configured != null && !configured.isBlank() && (explicit || redisUrl == null)) {
            try {
                mode = valueOf(configured.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Invalid value for option redisMode: '" + configured
                                                   + "' (must be standalone, cluster or sentinel)");
            }
        }
        if (redisUrl == null) {
            return mode == null ? STANDALONE : mode;
        }
        String url = redisUrl.trim();
        boolean sentinelUrl = url.regionMatches(true, 0, "redis-sentinel", 0, "redis-sentinel".length());
        boolean list = url.indexOf(',') >= 0;
        if (sentinelUrl) {
            if (mode != null && mode != SENTINEL) {
                throw new IllegalArgumentException("Option redisMode=" + mode.optionValue() + " contradicts redisUrl '"
                                                   + RedisConnections.maskUrl(redisUrl)
                                                   + "': a redis-sentinel:// URL means redisMode=sentinel");
            }
            return SENTINEL;
        }
        if (mode == SENTINEL) {
            throw new IllegalArgumentException("Option redisMode=sentinel needs a redis-sentinel:// redisUrl"
                                               + " (redis-sentinel://host1:26379,host2:26379#mymaster), not '"
                                               + RedisConnections.maskUrl(redisUrl) + "'");
        }
        if (list && mode != CLUSTER) {
            throw new IllegalArgumentException("Option redisUrl '" + RedisConnections.maskUrl(redisUrl) + "' lists"
                                               + " several servers: that needs redisMode=cluster (seed nodes) or a"
                                               + " redis-sentinel:// URL");
        }
        return mode == null ? STANDALONE : mode;
    }
}
