package io.camelrq.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The PNG charts of a full run (XChart). */
final class Charts {

    private Charts() {
    }

    /**
     * Throughput per concurrentConsumers, one bar series per maxMessagesPerPoll, plus the bare baseline
     * (threads claiming batches of 100).
     *
     * @param camel rate by maxMessagesPerPoll, then by concurrentConsumers
     * @param bare  rate by thread count
     * @param bareAckPerJob the bare consumer acking each job in its own round trip, by thread count
     */
    static void sweep(Path file, List<Integer> consumers, Map<Integer, Map<Integer, Double>> camel,
            Map<Integer, Double> bare, Map<Integer, Double> bareAckPerJob, String subtitle) throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(900).height(520)
                .title("End-to-end throughput (pre-filled queue drained, no-op route) " + subtitle)
                .xAxisTitle("concurrentConsumers (bare: threads)").yAxisTitle("jobs/s").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisDecimalPattern("#,###");
        List<String> x = consumers.stream().map(String::valueOf).toList();
        camel.forEach((mmpp, byConsumers) -> chart.addSeries("camel-rq maxMessagesPerPoll=" + mmpp, x,
                consumers.stream().map(c -> (Number) byConsumers.getOrDefault(c, 0.0)).toList()));
        chart.addSeries("bare Lettuce+Lua, batch 100", x,
                consumers.stream().map(c -> (Number) bare.getOrDefault(c, 0.0)).toList());
        chart.addSeries("bare, one ack round trip per job", x,
                consumers.stream().map(c -> (Number) bareAckPerJob.getOrDefault(c, 0.0)).toList());
        save(chart, file);
    }

    /** Cumulative distributions of latency samples (ms), one line per series. */
    static void cdf(Path file, String title, String xTitle, Map<String, double[]> sortedSeries) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(520).title(title).xAxisTitle(xTitle)
                .yAxisTitle("% of samples at or below").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(100.0);
        chart.getStyler().setYAxisDecimalPattern("#");
        chart.getStyler().setXAxisDecimalPattern("#.#");
        chart.getStyler().setXAxisTickMarkSpacingHint(70);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        for (Map.Entry<String, double[]> e : sortedSeries.entrySet()) {
            double[] values = e.getValue();
            if (values.length == 0) {
                continue;
            }
            // sampled at percentiles that get denser towards the tail; their spacing is uneven on purpose,
            // as XChart puts a tick on every value of an evenly spaced axis
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (double p = 0; p <= 100.0001; p += p < 90 ? 1 : p < 99 ? 0.25 : 0.05) {
                double percentile = Math.min(100, p);
                int rank = (int) Math.ceil(percentile / 100 * values.length);
                xs.add(values[Math.max(0, Math.min(values.length - 1, rank - 1))]);
                ys.add(percentile);
            }
            XYSeries series = chart.addSeries(e.getKey(), xs, ys);
            series.setMarker(SeriesMarkers.NONE);
        }
        save(chart, file);
    }

    private static void save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        String name = file.toString();
        String base = name.endsWith(".png") ? name.substring(0, name.length() - 4) : name;
        BitmapEncoder.saveBitmap(chart, base, BitmapFormat.PNG);
    }
}
