package io.camelrq;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;

/**
 * The minimal ACL rule of docs/data-model.md section 1, read from the document itself so that the tests
 * prove what users are told to configure, not a copy of it.
 */
public final class DocumentedAcl {

    private static final Path DATA_MODEL = Path.of("..", "docs", "data-model.md");

    private DocumentedAcl() {
    }

    /** The documented {@code ACL SETUSER camelrq ...} line, split into its words. */
    public static List<String> line() {
        try {
            String line = Files.readAllLines(DATA_MODEL).stream().filter(l -> l.startsWith("ACL SETUSER camelrq "))
                    .findFirst().orElseThrow(() -> new AssertionError("no ACL SETUSER line in " + DATA_MODEL));
            return Arrays.asList(line.trim().split("\\s+"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The documented rule for another user, password and key prefix, as the document tells users to adapt
     * it ({@code ~<keyPrefix>:*}), followed by {@code extra} rules (later rules win, so {@code -exists}
     * takes one command away again).
     */
    public static List<String> rulesFor(String user, String password, String keyPrefix, String... extra) {
        List<String> words = line();
        List<String> rules = new ArrayList<>();
        rules.add(user);
        for (String word : words.subList(3, words.size())) {
            if (word.equals(">secret")) {
                rules.add(">" + password);
            } else if (word.equals("~rq:*")) {
                rules.add("~" + keyPrefix + ":*");
            } else {
                rules.add(word);
            }
        }
        if (!rules.contains("~" + keyPrefix + ":*") || !rules.contains(">" + password)) {
            throw new AssertionError("the documented ACL line no longer has >secret and ~rq:* : " + words);
        }
        rules.addAll(Arrays.asList(extra));
        return rules;
    }

    /** {@code ACL SETUSER <rules>}: creates the user, or changes an existing one. */
    public static void setUser(RedisCommands<String, String> redis, List<String> rules) {
        redis.dispatch(CommandType.ACL, new StatusOutput<>(StringCodec.UTF8),
                new CommandArgs<>(StringCodec.UTF8).add("SETUSER").addValues(rules));
    }

    public static void deleteUser(RedisCommands<String, String> redis, String user) {
        redis.dispatch(CommandType.ACL, new IntegerOutput<>(StringCodec.UTF8),
                new CommandArgs<>(StringCodec.UTF8).add("DELUSER").add(user));
    }
}
