package io.camelrq;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.camelrq.testsupport.RedisServer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.ResolveEndpointFailedException;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.jsse.KeyManagersParameters;
import org.apache.camel.support.jsse.KeyStoreParameters;
import org.apache.camel.support.jsse.SSLContextParameters;
import org.apache.camel.support.jsse.TrustManagersParameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TLS to real redis-server processes, with certificates made for the run: one-way TLS (the client checks
 * the server against a CA), mutual TLS ({@code tls-auth-clients yes}: the server checks the client's
 * certificate too), and the failures a misconfiguration gives. Skipped only when the redis-server found
 * was built without TLS.
 */
class TlsTest {

    @TempDir
    static Path dir;

    private static TestCertificates certs;
    private static RedisServer oneWay;
    private static RedisServer mutual;
    private static int oneWayTlsPort;
    private static int mutualTlsPort;

    private final List<CamelContext> contexts = new ArrayList<>();
    private int queues;

    @BeforeAll
    static void startTlsServers() throws Exception {
        certs = TestCertificates.create(dir);
        oneWayTlsPort = freePort();
        oneWay = startTls(oneWayTlsPort, "no");
        mutualTlsPort = freePort();
        mutual = startTls(mutualTlsPort, "yes");
    }

    /** A server on a plain loopback port (the test support's own checks use it) and on a TLS port. */
    private static RedisServer startTls(int tlsPort, String authClients) {
        try {
            return RedisServer.builder().extraArgs("--tls-port", Integer.toString(tlsPort),
                    "--tls-cert-file", certs.serverPem.toString(), "--tls-key-file", certs.serverKey.toString(),
                    "--tls-ca-cert-file", certs.caPem.toString(), "--tls-auth-clients", authClients).start();
        } catch (IllegalStateException e) {
            String why = String.valueOf(e.getMessage());
            // a build without TLS rejects the directives, or refuses to configure TLS at start
            Assumptions.assumeFalse(why.contains("TLS not supported") || why.contains("Bad directive")
                                    || why.contains("Failed to configure TLS"),
                    "the redis-server found has no TLS support, so the TLS tests cannot run: " + why);
            throw e;
        }
    }

    @AfterAll
    static void stopTlsServers() {
        if (oneWay != null) {
            oneWay.close();
        }
        if (mutual != null) {
            mutual.close();
        }
    }

    @AfterEach
    void stopContexts() {
        contexts.forEach(CamelContext::stop);
    }

    @Test
    void oneWayTlsCarriesJobsFromProducerToConsumer() throws Exception {
        CamelContext context = context(tls(certs.trustStore, null), false);
        String queue = queue();
        MockEndpoint done = route(context, "rq:" + queue);
        done.expectedBodiesReceivedInAnyOrder("a", "b", "c");

        ProducerTemplate producer = context.createProducerTemplate();
        for (String body : List.of("a", "b", "c")) {
            producer.sendBody("rq:" + queue + "?redisUrl=" + url(oneWayTlsPort), body);
        }

        done.assertIsSatisfied(20_000);
        // the jobs went through the TLS port's server: it holds the queue's keys
        assertThat(oneWay.call("KEYS", "rq:{" + queue + "}:*")).asList().isNotEmpty();
    }

    @Test
    void mutualTlsWorksWithAClientCertificate() throws Exception {
        CamelContext context = context(tls(certs.trustStore, certs.clientKeyStore), false);
        String queue = queue();
        MockEndpoint done = route(context, "rq:" + queue + "?redisUrl=" + url(mutualTlsPort));
        done.expectedBodiesReceived("signed");

        context.createProducerTemplate().sendBody("rq:" + queue + "?redisUrl=" + url(mutualTlsPort), "signed");

        done.assertIsSatisfied(20_000);
    }

    @Test
    void mutualTlsRefusesAClientWithoutCertificate() throws Exception {
        CamelContext context = context(tls(certs.trustStore, null), false);
        String queue = queue();

        Exchange sent = context.createProducerTemplate().send("rq:" + queue + "?redisUrl=" + url(mutualTlsPort),
                e -> e.getMessage().setBody("unsigned"));

        assertThat(sent.getException()).as("enqueue without a client certificate").isNotNull();
        assertThat(sent.getException().getMessage()).contains("TLS handshake failed");
        assertThat(mutual.call("KEYS", "rq:{" + queue + "}:*")).asList().isEmpty();
    }

    @Test
    void globalSslContextParametersAreUsedWhenTheComponentSaysSo() throws Exception {
        CamelContext context = context(null, true);
        context.setSSLContextParameters(tls(certs.trustStore, certs.clientKeyStore));
        String queue = queue();
        MockEndpoint done = route(context, "rq:" + queue + "?redisUrl=" + url(mutualTlsPort));
        done.expectedBodiesReceived("global");

        context.createProducerTemplate().sendBody("rq:" + queue + "?redisUrl=" + url(mutualTlsPort), "global");

        done.assertIsSatisfied(20_000);
    }

    @Test
    void aServerCertificateFromAnotherCaFailsNamingTheCertificate() throws Exception {
        CamelContext context = context(tls(certs.otherCaTrustStore, null), false);

        long t0 = System.nanoTime();
        Exchange sent = context.createProducerTemplate().send("rq:" + queue() + "?redisUrl=" + url(oneWayTlsPort),
                e -> e.getMessage().setBody("x"));
        long millis = (System.nanoTime() - t0) / 1_000_000;

        assertThat(sent.getException()).as("enqueue to a server signed by an untrusted CA").isNotNull();
        assertThat(sent.getException().getMessage()).contains("TLS handshake failed")
                .containsIgnoringCase("certificate").contains("unable to find valid certification path");
        // refused during the handshake, not after waiting out the command timeout (5 s)
        assertThat(millis).isLessThan(4_000);
    }

    @Test
    void sslContextParametersWithAPlainRedisUrlIsRefusedAtEndpointCreation() throws Exception {
        CamelContext context = context(tls(certs.trustStore, null), false);

        assertThatThrownBy(() -> context.getEndpoint("rq:" + queue() + "?redisUrl=redis://127.0.0.1:" + oneWay.port()))
                .isInstanceOf(ResolveEndpointFailedException.class)
                .hasMessageContaining("sslContextParameters needs a TLS redisUrl (rediss://)");
    }

    private CamelContext context(SSLContextParameters ssl, boolean useGlobal) throws Exception {
        CamelContext context = new DefaultCamelContext();
        RqComponent rq = new RqComponent();
        rq.getConfiguration().setRedisUrl(url(oneWayTlsPort));
        rq.getConfiguration().setSslContextParameters(ssl);
        rq.setUseGlobalSslContextParameters(useGlobal);
        context.addComponent("rq", rq);
        contexts.add(context);
        context.start();
        return context;
    }

    private static MockEndpoint route(CamelContext context, String from) throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(from).to("mock:done");
            }
        });
        return context.getEndpoint("mock:done", MockEndpoint.class);
    }

    private static SSLContextParameters tls(Path trustStore, Path keyStore) {
        SSLContextParameters ssl = new SSLContextParameters();
        TrustManagersParameters trust = new TrustManagersParameters();
        trust.setKeyStore(store(trustStore));
        ssl.setTrustManagers(trust);
        if (keyStore != null) {
            KeyManagersParameters keys = new KeyManagersParameters();
            keys.setKeyStore(store(keyStore));
            keys.setKeyPassword(TestCertificates.PASSWORD);
            ssl.setKeyManagers(keys);
        }
        return ssl;
    }

    private static KeyStoreParameters store(Path file) {
        KeyStoreParameters store = new KeyStoreParameters();
        store.setResource("file:" + file);
        store.setType("PKCS12");
        store.setPassword(TestCertificates.PASSWORD);
        return store;
    }

    private static String url(int tlsPort) {
        return "rediss://127.0.0.1:" + tlsPort;
    }

    private String queue() {
        return "tls-" + (++queues) + "-" + System.nanoTime();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
