package io.camelrq.examples.quarkus;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.camelrq.RqConstants;
import jakarta.inject.Singleton;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.jboss.logging.Logger;

/**
 * The work behind each job: make the thumbnail of one uploaded image. A CDI bean; a thrown exception makes
 * camel-rq retry the job later, by the retry policy the job was enqueued with.
 *
 * <p>Simulated failures: the object store is eventually consistent, so uploads 2 and 5 are not readable
 * yet on their first attempt; upload 7 is a corrupt image and fails on every attempt.
 */
@Singleton
public class ThumbnailService {

    private static final Logger LOG = Logger.getLogger(ThumbnailService.class);

    private final Map<String, Integer> doneOnAttempt = new ConcurrentHashMap<>();
    private final Set<String> givenUp = ConcurrentHashMap.newKeySet();

    public String thumbnail(@Body String image, @Header(RqConstants.JOB_ID) String jobId,
                            @Header(RqConstants.ATTEMPT) int attempt) {
        if (image.equals("upload-7.jpg")) {
            throw new IllegalArgumentException("corrupt JPEG: " + image);
        }
        if ((image.equals("upload-2.jpg") || image.equals("upload-5.jpg")) && attempt == 1) {
            throw new IllegalStateException("404 " + image + " not in the object store yet");
        }
        doneOnAttempt.put(jobId, attempt);
        LOG.infof("%s: thumbnail of %s made on attempt %d", jobId, image, attempt);
        return "thumb-" + image;
    }

    /** The deadLetterUri end: a job camel-rq gave up on. */
    public void giveUp(@Header(RqConstants.JOB_ID) String jobId, @Header(RqConstants.FAILED_REASON) String reason) {
        givenUp.add(jobId);
        LOG.errorf("%s: gave up (%s); the job stays in the failed registry", jobId, reason);
    }

    /** Job id to the attempt that made the thumbnail. */
    public Map<String, Integer> doneOnAttempt() {
        return Map.copyOf(doneOnAttempt);
    }

    public Set<String> givenUp() {
        return Set.copyOf(givenUp);
    }
}
