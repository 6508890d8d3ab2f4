package io.camelrq.dashboard;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.camelrq.RqComponent;
import io.camelrq.store.JobStore;
import org.apache.camel.builder.RouteBuilder;

/**
 * The dashboard: one platform-http route (id {@code rq-dashboard}) that serves the page and its JSON API
 * under {@link #setPath path}, from the application's own HTTP server. Add it like any RouteBuilder, e.g.
 * {@code camel.main.routesBuilderClasses=io.camelrq.dashboard.RqDashboard} on Camel Main. Each setting
 * not set in code is read from Camel's properties, {@code camel.rq.dashboard.<name>}
 * (path, readOnly, username, password, keyPrefix, component). docs/dashboard.md has the rest.
 */
public class RqDashboard extends RouteBuilder {

    private String path;
    private Boolean readOnly;
    private String username;
    private String password;
    private String keyPrefix;
    private String component;

    @Override
    public void configure() {
        String base = normalized(setting(path, "path", "/rq"));
        boolean ro = Boolean.parseBoolean(setting(readOnly == null ? null : readOnly.toString(), "readOnly", "false"));
        String user = setting(username, "username", null);
        String pass = setting(password, "password", null);
        if ((user == null) != (pass == null)) {
            throw new IllegalArgumentException("The rq dashboard needs both camel.rq.dashboard.username and"
                                               + " camel.rq.dashboard.password for basic auth, or neither");
        }
        String prefix = setting(keyPrefix, "keyPrefix", "rq");
        String componentName = setting(component, "component", "rq");
        Map<String, JobStore> stores = new ConcurrentHashMap<>();
        java.util.function.Function<String, JobStore> storeOf = queue -> stores.computeIfAbsent(queue,
                q -> getContext().getComponent(componentName, RqComponent.class).storeOf(q, prefix));
        // the queue-name set lives under the key prefix; any queue's store reads it
        DashboardApi api = new DashboardApi(storeOf, () -> storeOf.apply("rq-dashboard"));
        from("platform-http:" + base + "?matchOnUriPrefix=true").routeId("rq-dashboard")
                .process(new DashboardHttp(base, api, ro, user, pass));
    }

    private String setting(String fromCode, String name, String otherwise) {
        if (fromCode != null) {
            return fromCode;
        }
        return getContext().getPropertiesComponent().resolveProperty("camel.rq.dashboard." + name).orElse(otherwise);
    }

    static String normalized(String path) {
        String p = path.trim();
        if (!p.startsWith("/")) {
            p = "/" + p;
        }
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.equals("/") || p.contains("?") || p.contains("{")) {
            throw new IllegalArgumentException("Invalid camel.rq.dashboard.path '" + path
                                               + "': it must be a path below the root, such as /rq");
        }
        return p;
    }

    public RqDashboard setPath(String path) {
        this.path = path;
        return this;
    }

    public RqDashboard setReadOnly(boolean readOnly) {
        this.readOnly = readOnly;
        return this;
    }

    /** Basic auth for the plain Camel Main case; with Spring Security, leave it unset and protect the path. */
    public RqDashboard setLogin(String username, String password) {
        this.username = username;
        this.password = password;
        return this;
    }

    public RqDashboard setKeyPrefix(String keyPrefix) {
        this.keyPrefix = keyPrefix;
        return this;
    }

    /** The name of the rq component whose Redis the dashboard reads (default {@code rq}). */
    public RqDashboard setComponent(String component) {
        this.component = component;
        return this;
    }
}
