package io.camelrq;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away PKI made at test time with the JDK's keytool: a CA, a server certificate for 127.0.0.1 and
 * localhost signed by it, a client certificate signed by it, and a second CA that signed nothing the server
 * shows. Written as the PEM files redis-server reads and the PKCS12 stores Camel's
 * {@code SSLContextParameters} reads.
 */
final class TestCertificates {

    static final String PASSWORD = "changeit";

    /** PEM: the CA's certificate, for redis-server's {@code tls-ca-cert-file}. */
    final Path caPem;
    /** PEM: the server's certificate and its unencrypted PKCS#8 key. */
    final Path serverPem;
    final Path serverKey;
    /** PKCS12 trust stores: one with the CA that signed the server, one with an unrelated CA. */
    final Path trustStore;
    final Path otherCaTrustStore;
    /** PKCS12 key store: the client's key and its certificate chain (client, CA). */
    final Path clientKeyStore;

    private final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
        this.caPem = dir.resolve("ca.pem");
        this.serverPem = dir.resolve("server.pem");
        this.serverKey = dir.resolve("server.key");
        this.trustStore = dir.resolve("truststore.p12");
        this.otherCaTrustStore = dir.resolve("other-ca-truststore.p12");
        this.clientKeyStore = dir.resolve("client.p12");
    }

    static TestCertificates create(Path dir) throws IOException, GeneralSecurityException {
        TestCertificates c = new TestCertificates(dir);
        c.generate();
        return c;
    }

    private void generate() throws IOException, GeneralSecurityException {
        keytool("-genkeypair", "-alias", "ca", "-dname", "CN=camel-rq test CA", "-ext", "bc:c", "-keystore", "ca.p12");
        keytool("-genkeypair", "-alias", "other", "-dname", "CN=camel-rq unrelated CA", "-ext", "bc:c",
                "-keystore", "other-ca.p12");
        keytool("-genkeypair", "-alias", "server", "-dname", "CN=localhost", "-keystore", "server-key.p12");
        keytool("-genkeypair", "-alias", "client", "-dname", "CN=camel-rq test client", "-keystore", "client-key.p12");
        signed("server", "san=ip:127.0.0.1,dns:localhost", "eku=serverAuth");
        signed("client", "eku=clientAuth");

        Certificate ca = load("ca.p12").getCertificate("ca");
        Files.writeString(caPem, pem("CERTIFICATE", ca.getEncoded()));
        Files.writeString(serverKey, pem("PRIVATE KEY", load("server-key.p12").getKey("server", PASSWORD.toCharArray())
                .getEncoded()));
        Files.move(dir.resolve("server.pem.tmp"), serverPem);

        trustStoreOf(ca, trustStore);
        trustStoreOf(load("other-ca.p12").getCertificate("other"), otherCaTrustStore);

        KeyStore client = KeyStore.getInstance("PKCS12");
        client.load(null, null);
        Key clientKey = load("client-key.p12").getKey("client", PASSWORD.toCharArray());
        client.setKeyEntry("client", clientKey, PASSWORD.toCharArray(),
                new Certificate[] {readPem(dir.resolve("client.pem.tmp")), ca});
        store(client, clientKeyStore);
    }

    /** A certificate signing request for the key pair in {@code <name>-key.p12}, signed by the CA. */
    private void signed(String name, String... extensions) throws IOException {
        keytool("-certreq", "-alias", name, "-keystore", name + "-key.p12", "-file", name + ".csr");
        List<String> args = new ArrayList<>(List.of("-gencert", "-alias", "ca", "-keystore", "ca.p12", "-rfc",
                "-infile", name + ".csr", "-outfile", name + ".pem.tmp"));
        for (String ext : extensions) {
            args.add("-ext");
            args.add(ext);
        }
        keytool(args.toArray(String[]::new));
    }

    private void keytool(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        // EC keys are quick to make; two days is plenty for a test run
        if ("-genkeypair".equals(args[0])) {
            cmd.addAll(List.of("-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2", "-storetype", "PKCS12"));
        }
        cmd.addAll(List.of("-storepass", PASSWORD, "-keypass", PASSWORD, "-noprompt"));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("keytool " + String.join(" ", args) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool", e);
        }
    }

    private KeyStore load(String file) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve(file))) {
            ks.load(in, PASSWORD.toCharArray());
        }
        return ks;
    }

    private static void trustStoreOf(Certificate ca, Path file) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("ca", ca);
        store(ks, file);
    }

    private static void store(KeyStore ks, Path file) throws IOException, GeneralSecurityException {
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, PASSWORD.toCharArray());
        }
    }

    private static Certificate readPem(Path file) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            return CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
               + "\n-----END " + type + "-----\n";
    }
}
