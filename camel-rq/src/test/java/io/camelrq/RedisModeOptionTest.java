package io.camelrq;

import io.camelrq.store.RedisMode;
import io.lettuce.core.RedisClient;
import io.lettuce.core.cluster.RedisClusterClient;
import org.apache.camel.ResolveEndpointFailedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** redisMode against redisUrl and the client options: what each resolves to, and which contradict. */
class RedisModeOptionTest extends RqTestSupport {

    private RqEndpoint endpoint(String options) {
        return context.getEndpoint("rq:" + queue + "?" + options, RqEndpoint.class);
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "redisUrl=redis://localhost:6379                                          | STANDALONE",
            "redisUrl=redis://localhost:6379&redisMode=standalone                     | STANDALONE",
            "redisUrl=redis-sentinel://localhost:26379,localhost:26380#mymaster        | SENTINEL",
            "redisUrl=redis-sentinel://localhost:26379#mymaster&redisMode=sentinel     | SENTINEL",
            "redisUrl=redis://10.0.0.1:6379,redis://10.0.0.2:6379&redisMode=cluster    | CLUSTER",
            "redisUrl=redis://10.0.0.1:6379&redisMode=CLUSTER                         | CLUSTER",
            "redisUrl=redis://10.0.0.1:6379,10.0.0.2:6379&redisMode=cluster           | CLUSTER",
    })
    void theModeFollowsTheOptionAndTheUrl(String options, RedisMode expected) {
        assertThat(endpoint(options).redisMode()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "redisUrl=redis-sentinel://localhost:26379#mymaster&redisMode=cluster | Option redisMode=cluster contradicts"
            + " redisUrl 'redis-sentinel://localhost:26379#mymaster': a redis-sentinel:// URL means redisMode=sentinel",
            "redisUrl=redis-sentinel://localhost:26379#mymaster&redisMode=standalone | Option redisMode=standalone"
            + " contradicts redisUrl",
            "redisUrl=redis://localhost:6379&redisMode=sentinel | Option redisMode=sentinel needs a redis-sentinel://"
            + " redisUrl",
            "redisUrl=redis://a:6379,redis://b:6379 | lists several servers: that needs redisMode=cluster",
            "redisUrl=redis://a:6379,redis://b:6379&redisMode=standalone | lists several servers",
            "redisUrl=redis://localhost:6379&redisMode=shards | Invalid value for option redisMode: 'shards' (must be"
            + " standalone, cluster or sentinel)",
            "redisUrl=redis://a:6379,,redis://b:6379&redisMode=cluster | an empty entry in the list of seed nodes",
            "redisUrl=redis://a:6379,redis-sentinel://b:26379&redisMode=cluster | a cluster's seed nodes are redis://"
            + " or rediss:// URLs",
    })
    void aContradictionOrAnUnknownModeFailsAtEndpointCreation(String options, String message) {
        assertThatThrownBy(() -> endpoint(options))
                .isInstanceOf(ResolveEndpointFailedException.class)
                .satisfies(e -> assertThat(rootCause(e)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining(message));
    }

    @Test
    void aSeedListShowsEveryNodeWithItsPasswordMasked() {
        RqEndpoint e = endpoint("redisMode=cluster&redisUrl=RAW(redis://u:s3cret@a:6379,redis://u:s3cret@b:6379)");
        assertThat(e.redisServer()).isEqualTo("cluster redis://u:xxxxxx@a:6379,redis://u:xxxxxx@b:6379");
    }

    @Test
    void theApplicationsClientsSayWhichModeTheyAre() {
        RedisClusterClient cluster = RedisClusterClient.create("redis://localhost:6379");
        RedisClient single = RedisClient.create("redis://localhost:6379");
        try {
            context.getRegistry().bind("myCluster", cluster);
            context.getRegistry().bind("mySingle", single);
            assertThat(endpoint("redisClusterClient=#myCluster").redisMode()).isEqualTo(RedisMode.CLUSTER);
            assertThat(endpoint("redisClusterClient=#myCluster").redisServer())
                    .isEqualTo("the application's RedisClusterClient");
            assertThat(endpoint("redisClient=#mySingle").redisMode()).isEqualTo(RedisMode.STANDALONE);
            assertThatThrownBy(() -> endpoint("redisClient=#mySingle&redisMode=cluster"))
                    .satisfies(e -> assertThat(rootCause(e)).hasMessage("Option redisMode=cluster needs a"
                            + " RedisClusterClient: set option redisClusterClient instead of redisClient"));
            assertThatThrownBy(() -> endpoint("redisClusterClient=#myCluster&redisMode=standalone"))
                    .satisfies(e -> assertThat(rootCause(e)).hasMessage("Option redisMode=standalone contradicts"
                            + " option redisClusterClient, which means cluster"));
            assertThatThrownBy(() -> endpoint("redisClusterClient=#myCluster&redisClient=#mySingle"))
                    .satisfies(e -> assertThat(rootCause(e)).hasMessage("Options redisClient and redisClusterClient"
                            + " exclude each other: set one"));
        } finally {
            cluster.shutdown();
            single.shutdown();
        }
    }
}
