package io.camelrq.testsupport;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately tiny RESP2 client: one connection per call, no pooling, no pipelining.
 * It exists so that the test support can check and reset a Redis server without depending
 * on a Redis client library.
 *
 * <p>Replies are mapped as follows: simple string and bulk string to {@link String} (UTF-8),
 * integer to {@link Long}, array to {@code List<Object>}, nil bulk string or nil array to
 * {@code null}; an error reply is thrown as {@link ErrorReply}.
 */
public final class Resp {

    private Resp() {
    }

    /** An error reply ({@code -ERR ...}) from the server. */
    public static final class ErrorReply extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ErrorReply(String message) {
            super(message);
        }
    }

    /**
     * Opens a connection, sends one command, reads its reply and closes the connection.
     *
     * @param host    server host
     * @param port    server port
     * @param timeout used both as connect timeout and as read timeout
     * @param command the command and its arguments, e.g. {@code "SET", "k", "v"}
     * @return the decoded reply (see the class comment)
     * @throws IOException when the server cannot be reached or closes the connection early
     * @throws ErrorReply  when the server answers with an error
     */
    public static Object call(String host, int port, Duration timeout, String... command) throws IOException {
        if (command == null || command.length == 0) {
            throw new IllegalArgumentException("command must not be empty");
        }
        int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), millis);
            socket.setSoTimeout(millis);
            OutputStream out = socket.getOutputStream();
            out.write(encode(command));
            out.flush();
            return read(new BufferedInputStream(socket.getInputStream()));
        }
    }

    /** Encodes a command as a RESP array of bulk strings. */
    static byte[] encode(String... command) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        writeAscii(buf, "*" + command.length + "\r\n");
        for (String arg : command) {
            byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
            writeAscii(buf, "$" + bytes.length + "\r\n");
            buf.write(bytes, 0, bytes.length);
            writeAscii(buf, "\r\n");
        }
        return buf.toByteArray();
    }

    private static void writeAscii(ByteArrayOutputStream buf, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        buf.write(b, 0, b.length);
    }

    /** Reads one reply. */
    static Object read(InputStream in) throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("connection closed before a reply arrived");
        }
        String line = readLine(in);
        switch (type) {
            case '+':
                return line;
            case '-':
                throw new ErrorReply(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int len = Integer.parseInt(line);
                if (len < 0) {
                    return null;
                }
                byte[] data = in.readNBytes(len);
                if (data.length != len) {
                    throw new EOFException("connection closed inside a bulk string");
                }
                expectCrlf(in);
                return new String(data, StandardCharsets.UTF_8);
            }
            case '*': {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    try {
                        items.add(read(in));
                    } catch (ErrorReply e) {
                        // an error nested in an array (e.g. from EXEC) is kept as a value
                        items.add(e);
                    }
                }
                return items;
            }
            default:
                throw new IOException("not a RESP reply, first byte " + type + " followed by '" + line + "'");
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed inside a reply line");
            }
            if (b == '\r') {
                int n = in.read();
                if (n != '\n') {
                    throw new IOException("malformed RESP line ending");
                }
                return buf.toString(StandardCharsets.UTF_8);
            }
            buf.write(b);
        }
    }

    private static void expectCrlf(InputStream in) throws IOException {
        if (in.read() != '\r' || in.read() != '\n') {
            throw new IOException("malformed RESP bulk string ending");
        }
    }
}
