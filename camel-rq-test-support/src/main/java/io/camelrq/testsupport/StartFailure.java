package io.camelrq.testsupport;

/** Thrown when a Redis server does not come up; says whether its port was taken, so a caller can retry. */
final class StartFailure extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final boolean addressInUse;

    StartFailure(String message, boolean addressInUse, Throwable cause) {
        super(message, cause);
        this.addressInUse = addressInUse;
    }

    boolean addressInUse() {
        return addressInUse;
    }
}
