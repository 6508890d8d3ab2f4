package io.camelrq.testsupport;

/** One way of running a Redis server: a container or a local process. */
interface Backend {

    /** "docker", "path" or "embedded". */
    String kind();

    /** Which server this is, for people: version, binary and where the binary came from, or the image. */
    String describe();

    /** The host clients connect to. */
    String host();

    /** The port clients connect to; fixed for the life of the backend. */
    int port();

    /** Starts the server (first start or restart) and waits until it answers PING. */
    void start();

    boolean isRunning();

    /** Graceful stop; waits until the server is gone. */
    void stop();

    /** Abrupt stop (SIGKILL); waits until the server is gone. */
    void kill();

    /** Stops if running and releases everything except a caller-supplied data directory. */
    void close();
}
