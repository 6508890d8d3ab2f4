package io.camelrq.dashboard;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.camelrq.testsupport.RedisServerExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard in a real headless browser: Debian's chromium through chromium-driver (apt packages
 * {@code chromium} and {@code chromium-driver}; .ci/run installs them), against the Camel Main app of
 * {@link DashboardApp} on real Redis. Overview, a queue, a failed job, requeue, and the counts changing
 * without a reload; the markup payloads show as text. It saves target/dashboard.png, the source of
 * docs/images/dashboard.png.
 */
class DashboardBrowserTest {

    @RegisterExtension
    static RedisServerExtension redis = new RedisServerExtension();

    private DashboardApp app;
    private ChromeDriver browser;

    @BeforeEach
    void start() throws Exception {
        String driver = System.getProperty("webdriver.chrome.driver", "/usr/bin/chromedriver");
        String chromium = System.getProperty("camelrq.chromium", "/usr/bin/chromium");
        if (!Files.isExecutable(Path.of(driver)) || !Files.isExecutable(Path.of(chromium))) {
            throw new IllegalStateException("The browser tests need Debian's chromium and chromium-driver ("
                                            + chromium + ", " + driver + "): apt-get install chromium chromium-driver");
        }
        app = DashboardApp.start(redis.uri(), null, null, new RqDashboard(), "/rq", "emails");
        app.enqueueSomeGoodAndTwoBad();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900");
        // the driver is given, so Selenium Manager never goes to the network for one
        browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(Path.of(driver).toFile()).build(),
                options);
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (app != null) {
            app.close();
        }
    }

    /** Waits that look again when the page redrew under them (it does every few seconds, by design). */
    private WebDriverWait waiting() {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
        wait.ignoring(StaleElementReferenceException.class).ignoring(NoSuchElementException.class);
        return wait;
    }

    /** The text of the element, read again if it was redrawn in between. */
    private String text(String css) {
        return waiting().until(d -> d.findElement(By.cssSelector(css)).getText());
    }

    private String count(String name) {
        return text("#counts td[data-count='" + name + "']");
    }

    @Test
    void anOperatorFindsAFailedJobRequeuesItAndSeesTheCountsMove() throws Exception {
        browser.get(app.base + "/");
        waiting().until(d -> d.findElement(By.cssSelector("#queues tr[data-queue='emails'] td[data-count='failed']"))
                .getText().equals("2"));
        assertThat(text("#queues tr[data-queue='emails'] td[data-count='paused']")).isEqualTo("running");
        waiting().until(d -> d.findElement(By.cssSelector("#chart .legend .processed")).getText().equals("processed 7"));
        Files.createDirectories(Path.of("target"));
        Files.write(Path.of("target/dashboard.png"), browser.getScreenshotAs(OutputType.BYTES));

        // a marker that a reload would wipe: the counts must change in this same page
        ((JavascriptExecutor) browser).executeScript("window.__noReload = 'still here';");
        waiting().until(d -> {
            d.findElement(By.cssSelector("a.queue-link")).click();
            return true;
        });
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#jobs tr[data-job='bad-1']")));
        assertThat(count("failed")).isEqualTo("2");
        // the payloads are text in the table, not elements
        assertThat(browser.findElements(By.cssSelector("#jobs img, #jobs script"))).isEmpty();
        assertThat(text("#jobs tr[data-job='bad-2']")).contains("refused bad <img src=x onerror=alert(2)>");

        waiting().until(d -> {
            d.findElement(By.cssSelector("#jobs tr[data-job='bad-1'] a.job-link")).click();
            return true;
        });
        assertThat(text("#body")).isEqualTo("bad <script>alert(1)</script>");
        assertThat(text("#stack")).contains("RqNonRetryableException");
        assertThat(text("dd[data-field='state']")).isEqualTo("failed");
        assertThat(browser.findElements(By.cssSelector("#view script, #view img"))).isEmpty();

        browser.findElement(By.cssSelector("button[data-action='requeue']")).click();
        // it runs again, fails again: back on the failed list with the count unchanged, so look at the chart
        waiting().until(d -> d.findElement(By.id("message")).getText().contains("\"changed\":true"));
        browser.navigate().to(app.base + "/#/queue/emails/failed");
        waiting().until(d -> d.findElement(By.cssSelector("#chart .legend .processed")).getText().equals("processed 8"));

        // the counts refresh by themselves: a job enqueued behind the page's back shows up
        app.main.getCamelContext().createProducerTemplate().sendBodyAndHeader("rq:emails", "bad again",
                "CamelRqJobId", "bad-3");
        waiting().until(d -> count("failed").equals("3"));
        assertThat(((JavascriptExecutor) browser).executeScript("return window.__noReload;")).isEqualTo("still here");

        // purge asks for the queue's name first
        List<WebElement> purge = browser.findElements(By.cssSelector("button[data-action='purge']"));
        assertThat(purge).hasSize(1);
    }
}
