package io.camelrq.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every request under the dashboard's path: the page and its two files, the JSON API (GET reads, POST
 * actions), basic auth when a login is set, CSRF and readOnly checks for actions. docs/dashboard.md is
 * the contract of the API.
 */
final class DashboardHttp implements Processor {

    static final String CSRF_COOKIE = "rq_csrf";
    static final String CSRF_HEADER = "X-RQ-CSRF";
    private static final Logger LOG = LoggerFactory.getLogger(DashboardHttp.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    // the page runs no inline script or style, so nothing injected into it could run either
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
                                      + " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private final String basePath;
    private final DashboardApi api;
    private final boolean readOnly;
    private final String username;
    private final String password;

    DashboardHttp(String basePath, DashboardApi api, boolean readOnly, String username, String password) {
        this.basePath = basePath;
        this.api = api;
        this.readOnly = readOnly;
        this.username = username;
        this.password = password;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        Message in = exchange.getMessage();
        String method = in.getHeader(Exchange.HTTP_METHOD, "GET", String.class);
        String path = relativePath(in);
        Map<String, String> query = query(in.getHeader(Exchange.HTTP_QUERY, String.class));
        for (String name : new String[] { "Cookie", "Authorization", CSRF_HEADER }) {
            exchange.setProperty("rq.dashboard.request." + name.toLowerCase(), in.getHeader(name, String.class));
        }
        // nothing of the request travels on: the answer is built from scratch
        in.removeHeaders("*");
        in.setBody(null);
        in.setHeader("X-Content-Type-Options", "nosniff");
        in.setHeader("Referrer-Policy", "no-referrer");
        in.setHeader("Cache-Control", "no-store");
        try {
            if (!authorized(exchange, in)) {
                return;
            }
            if (path.isEmpty()) {
                // relative URLs in the page need the trailing slash
                respond(in, 302, null, null);
                in.setHeader("Location", basePath + "/");
                return;
            }
            if (path.equals("/") || path.equals("/index.html") || path.equals("/app.js") || path.equals("/app.css")) {
                requireMethod(method, "GET");
                staticFile(in, path.equals("/") ? "/index.html" : path, exchange);
                return;
            }
            if (path.startsWith("/api/")) {
                api(exchange, in, method, path.substring("/api/".length()), query);
                return;
            }
            json(in, 404, Map.of("error", "Not found: " + path));
        } catch (DashboardApi.BadRequest e) {
            json(in, 400, Map.of("error", e.getMessage()));
        } catch (DashboardApi.NotFound e) {
            json(in, 404, Map.of("error", e.getMessage()));
        } catch (MethodNotAllowed e) {
            in.setHeader("Allow", e.getMessage());
            json(in, 405, Map.of("error", "Method not allowed here; use " + e.getMessage()));
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null && e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
            if (cause instanceof IllegalArgumentException) {
                json(in, 400, Map.of("error", cause.getMessage()));
                return;
            }
            LOG.warn("rq dashboard: {} {} failed: {}", method, path, cause.toString());
            json(in, 503, Map.of("error", "Redis did not answer: " + cause.getClass().getSimpleName()));
        }
    }

    private void api(Exchange exchange, Message in, String method, String route, Map<String, String> query)
            throws IOException {
        String csrf = csrfCookie(in, exchange);
        switch (route) {
            case "config" -> {
                requireMethod(method, "GET");
                json(in, 200, Map.of("readOnly", readOnly, "csrfHeader", CSRF_HEADER, "csrfCookie", CSRF_COOKIE));
            }
            case "queues" -> {
                requireMethod(method, "GET");
                Map<String, Object> answer = new java.util.LinkedHashMap<>(api.queues());
                answer.put("readOnly", readOnly);
                json(in, 200, answer);
            }
            case "queue" -> {
                requireMethod(method, "GET");
                json(in, 200, api.queue(param(query, "queue")));
            }
            case "jobs" -> {
                requireMethod(method, "GET");
                json(in, 200, api.jobs(param(query, "queue"), param(query, "state"),
                        number(query, "offset", 0), (int) number(query, "limit", 25),
                        "desc".equals(query.get("order")), query.get("search")));
            }
            case "job" -> {
                requireMethod(method, "GET");
                Map<String, Object> job = api.job(param(query, "queue"), param(query, "id"));
                if (job == null) {
                    json(in, 404, Map.of("error", "No job '" + query.get("id") + "' in queue '" + query.get("queue") + "'"));
                } else {
                    json(in, 200, job);
                }
            }
            default -> {
                if (!route.startsWith("actions/")) {
                    json(in, 404, Map.of("error", "Not found: /api/" + route));
                    return;
                }
                requireMethod(method, "POST");
                if (readOnly) {
                    json(in, 403, Map.of("error", "The dashboard is read-only (readOnly=true): actions are off"));
                    return;
                }
                String sent = exchangeHeader(exchange, CSRF_HEADER);
                if (csrf == null || sent == null || !constantTimeEquals(csrf, sent)) {
                    json(in, 403, Map.of("error", "Missing or wrong " + CSRF_HEADER + " header: send the value of the "
                                                  + CSRF_COOKIE + " cookie, which any GET of the dashboard sets"));
                    return;
                }
                String action = route.substring("actions/".length());
                json(in, 200, api.act(action, param(query, "queue"), query.get("id"), query.get("confirm")));
            }
        }
    }

    /** A header of the request, kept aside before the answer's headers replaced them. */
    private String exchangeHeader(Exchange exchange, String name) {
        Object value = exchange.getProperty("rq.dashboard.request." + name.toLowerCase());
        return value == null ? null : value.toString();
    }

    /** The CSRF token of this browser: the cookie's value, or a new one that the answer sets. */
    private String csrfCookie(Message in, Exchange exchange) {
        String cookies = exchangeHeader(exchange, "Cookie");
        if (cookies != null) {
            for (String cookie : cookies.split(";")) {
                String[] pair = cookie.trim().split("=", 2);
                if (pair.length == 2 && pair[0].equals(CSRF_COOKIE) && !pair[1].isEmpty()) {
                    return pair[1];
                }
            }
        }
        byte[] token = new byte[24];
        RANDOM.nextBytes(token);
        String value = Base64.getUrlEncoder().withoutPadding().encodeToString(token);
        in.setHeader("Set-Cookie", CSRF_COOKIE + "=" + value + "; Path=" + basePath + "; SameSite=Strict");
        return null;
    }

    private boolean authorized(Exchange exchange, Message in) {
        if (username == null || username.isEmpty()) {
            return true;
        }
        String header = exchangeHeader(exchange, "Authorization");
        if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String[] login = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8)
                        .split(":", 2);
                if (login.length == 2 && constantTimeEquals(login[0], username) & constantTimeEquals(login[1], password)) {
                    return true;
                }
            } catch (IllegalArgumentException e) {
                // not base64: refused below like a wrong login
            }
        }
        in.setHeader("WWW-Authenticate", "Basic realm=\"camel-rq dashboard\", charset=\"UTF-8\"");
        json(in, 401, Map.of("error", "Log in to see the dashboard"));
        return false;
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private String relativePath(Message in) {
        String uri = in.getHeader(Exchange.HTTP_URI, String.class);
        if (uri == null) {
            uri = in.getHeader(Exchange.HTTP_PATH, "", String.class);
        }
        int q = uri.indexOf('?');
        if (q >= 0) {
            uri = uri.substring(0, q);
        }
        int at = uri.indexOf(basePath);
        return at < 0 ? uri : uri.substring(at + basePath.length());
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> params = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        for (String pair : raw.split("&")) {
            String[] kv = pair.split("=", 2);
            params.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                    kv.length == 2 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
        }
        return params;
    }

    private static String param(Map<String, String> query, String name) {
        String value = query.get(name);
        if (value == null || value.isEmpty()) {
            throw new DashboardApi.BadRequest("Missing query parameter " + name);
        }
        return value;
    }

    private static long number(Map<String, String> query, String name, long otherwise) {
        String value = query.get(name);
        if (value == null || value.isEmpty()) {
            return otherwise;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new DashboardApi.BadRequest("Invalid " + name + " '" + value + "': it must be a whole number");
        }
    }

    private static void requireMethod(String method, String allowed) {
        if (!allowed.equalsIgnoreCase(method)) {
            throw new MethodNotAllowed(allowed);
        }
    }

    private void staticFile(Message in, String name, Exchange exchange) throws IOException {
        try (InputStream file = DashboardHttp.class.getResourceAsStream("static" + name)) {
            if (file == null) {
                json(in, 404, Map.of("error", "Not found: " + name));
                return;
            }
            csrfCookie(in, exchange);
            respond(in, 200, name.endsWith(".js") ? "text/javascript; charset=utf-8"
                    : name.endsWith(".css") ? "text/css; charset=utf-8" : "text/html; charset=utf-8",
                    new String(file.readAllBytes(), StandardCharsets.UTF_8));
            in.setHeader("Content-Security-Policy", CSP);
        }
    }

    private static void json(Message in, int status, Object answer) {
        try {
            respond(in, status, "application/json; charset=utf-8", JSON.writeValueAsString(answer));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void respond(Message in, int status, String contentType, String body) {
        in.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        if (contentType != null) {
            in.setHeader(Exchange.CONTENT_TYPE, contentType);
        }
        in.setBody(body == null ? "" : body);
    }

    private static final class MethodNotAllowed extends RuntimeException {
        MethodNotAllowed(String allowed) {
            super(allowed);
        }
    }
}
