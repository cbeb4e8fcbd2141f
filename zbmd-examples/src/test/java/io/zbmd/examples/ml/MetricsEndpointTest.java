package io.zbmd.examples.ml;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** {@code --metrics-port}'s endpoint serves the registry in Prometheus's text format. */
class MetricsEndpointTest {

    @Test
    void servesTheRegistryToAScrape() throws IOException, InterruptedException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.counter("zbmd.training.recoveries", "cause", "crash").increment(3);
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(0, registry); HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(endpoint.url())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type ->
                    assertThat(type).startsWith("text/plain"));
            assertThat(response.body()).contains("zbmd_training_recoveries_total{cause=\"crash\"} 3.0");
        }
    }
}
