package bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.camunda.bpm.engine.ExternalTaskService;
import org.camunda.bpm.engine.OptimisticLockingException;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineConfiguration;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.externaltask.LockedExternalTask;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;

/**
 * Camunda 7's embedded engine on an H2 database in files, running the benchmark's one-task process (start, an
 * external task completed by a worker, end) as fast as it can: starter threads start instances, at most --inflight
 * unfinished at once, and worker threads fetch and lock the external tasks and complete them, all in this JVM (no
 * REST hop, which flatters Camunda 7). Prints one JSON object: completed instances per second in the measurement
 * window after the warm-up, and the latency from start to completion of the instances completed in the window.
 *
 *   java -cp target/classes:target/lib/* bench.Camunda7Bench --dir DIR [--warmup-s 10] [--seconds 20]
 *        [--starters 2] [--workers 2] [--inflight 64] [--history audit]
 *
 * Many unfinished instances slow Camunda 7 down (each fetch-and-lock queries the table of open external tasks), so
 * the in-flight bound is lower than the Go load generator's; --inflight lets a run try others.
 */
public final class Camunda7Bench {
  private static final String PROCESS_ID = "bench-one-task";
  private static final String TOPIC = "bench-work";
  private static final int FETCH_TASKS_MAX = 32;
  private static final long LOCK_DURATION_MS = 60_000;

  private final ProcessEngine engine;
  private final Semaphore inflight;
  private final Map<String, Long> startedAtNs = new ConcurrentHashMap<>();
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong lockConflicts = new AtomicLong();
  private final AtomicLong fetchFailures = new AtomicLong();
  private final List<Double> windowLatenciesMs = Collections.synchronizedList(new ArrayList<>());
  private volatile boolean running = true;
  private volatile long windowFromNs = Long.MAX_VALUE;
  private volatile long windowToNs = Long.MAX_VALUE;

  private Camunda7Bench(ProcessEngine engine, int inflightMax) {
    this.engine = engine;
    this.inflight = new Semaphore(inflightMax);
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = parse(args);
    Path directory = Path.of(options.getOrDefault("dir", Files.createTempDirectory("camunda7-bench").toString()));
    int warmupS = Integer.parseInt(options.getOrDefault("warmup-s", "10"));
    int seconds = Integer.parseInt(options.getOrDefault("seconds", "20"));
    int starters = Integer.parseInt(options.getOrDefault("starters", "2"));
    int workers = Integer.parseInt(options.getOrDefault("workers", "2"));
    int inflightMax = Integer.parseInt(options.getOrDefault("inflight", "64"));
    String history = options.getOrDefault("history", ProcessEngineConfiguration.HISTORY_AUDIT);

    ProcessEngineConfigurationImpl configuration = (ProcessEngineConfigurationImpl) ProcessEngineConfiguration
        .createStandaloneProcessEngineConfiguration()
        .setJdbcUrl(options.getOrDefault("jdbc-url", "jdbc:h2:file:" + directory.resolve("camunda").toAbsolutePath()))
        .setJdbcDriver("org.h2.Driver")
        .setJdbcUsername("sa")
        .setJdbcPassword("")
        .setDatabaseSchemaUpdate(ProcessEngineConfiguration.DB_SCHEMA_UPDATE_TRUE)
        .setJobExecutorActivate(false)
        .setHistory(history);
    configuration.setJdbcMaxActiveConnections(starters + workers + 2);
    ProcessEngine engine = configuration.buildProcessEngine();
    try {
      BpmnModelInstance model = Bpmn.createExecutableProcess(PROCESS_ID)
          .startEvent("start").serviceTask("task").camundaExternalTask(TOPIC).endEvent("end").done();
      engine.getRepositoryService().createDeployment().addModelInstance("one-task.bpmn", model).deploy();
      Camunda7Bench bench = new Camunda7Bench(engine, inflightMax);
      Map<String, Object> result = bench.run(warmupS, seconds, starters, workers);
      result.put("camundaVersion", ProcessEngine.class.getPackage().getImplementationVersion());
      result.put("history", history);
      result.put("database", "H2 " + org.h2.engine.Constants.VERSION + ", files in " + directory);
      result.put("starters", starters);
      result.put("workers", workers);
      result.put("inflightMax", inflightMax);
      System.out.println(toJson(result));
    } finally {
      engine.close();
    }
  }

  private Map<String, Object> run(int warmupS, int seconds, int starters, int workers) throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < starters; i++) threads.add(new Thread(this::startInstances, "starter-" + i));
    for (int i = 0; i < workers; i++) {
      String workerId = "worker-" + i;
      threads.add(new Thread(() -> completeTasks(workerId), workerId));
    }
    threads.forEach(Thread::start);
    Thread.sleep(warmupS * 1000L);
    long completedBefore = completed.get();
    windowFromNs = System.nanoTime();
    windowToNs = windowFromNs + seconds * 1_000_000_000L;
    Thread.sleep(seconds * 1000L);
    long completedInWindow = completed.get() - completedBefore;
    double windowS = (System.nanoTime() - windowFromNs) / 1e9;
    running = false;
    for (Thread thread : threads) thread.join(30_000);

    List<Double> latencies;
    synchronized (windowLatenciesMs) {
      latencies = new ArrayList<>(windowLatenciesMs);
    }
    Collections.sort(latencies);
    Map<String, Object> result = new HashMap<>();
    result.put("instancesPerS", completedInWindow / windowS);
    result.put("completedInWindow", completedInWindow);
    result.put("windowSeconds", windowS);
    result.put("p50Ms", percentile(latencies, 0.50));
    result.put("p99Ms", percentile(latencies, 0.99));
    result.put("lockConflicts", lockConflicts.get());
    result.put("fetchFailures", fetchFailures.get());
    return result;
  }

  private void startInstances() {
    RuntimeService runtime = engine.getRuntimeService();
    while (running) {
      try {
        // A bounded wait, so that a starter sees the end of the run even when no instance completes any more.
        if (!inflight.tryAcquire(100, TimeUnit.MILLISECONDS)) continue;
      } catch (InterruptedException interrupted) {
        return;
      }
      long startedNs = System.nanoTime();
      String id = runtime.startProcessInstanceByKey(PROCESS_ID).getId();
      startedAtNs.put(id, startedNs);
    }
  }

  private void completeTasks(String workerId) {
    ExternalTaskService tasks = engine.getExternalTaskService();
    while (running) {
      List<LockedExternalTask> locked;
      try {
        locked = tasks.fetchAndLock(FETCH_TASKS_MAX, workerId).topic(TOPIC, LOCK_DURATION_MS).execute();
      } catch (OptimisticLockingException conflict) {
        // Two workers fetched the same tasks at once; one of them wins, the other fetches again.
        lockConflicts.incrementAndGet();
        continue;
      } catch (RuntimeException fetchFailure) {
        // Camunda 7.22 sometimes fails a fetch with a NullPointerException for an instance another worker just ended
        // (seen once in a benchmark run, where it ended this worker thread): count it and fetch again.
        fetchFailures.incrementAndGet();
        continue;
      }
      if (locked.isEmpty()) {
        // Nothing to do yet: a short pause rather than a loop of queries that would take the starters' CPU.
        try {
          Thread.sleep(1);
        } catch (InterruptedException interrupted) {
          return;
        }
        continue;
      }
      for (LockedExternalTask task : locked) {
        try {
          tasks.complete(task.getId(), workerId);
        } catch (RuntimeException completeFailure) {
          // Counted with the failed fetches; the slot is freed so the run goes on at its in-flight bound.
          fetchFailures.incrementAndGet();
          inflight.release();
          continue;
        }
        long doneNs = System.nanoTime();
        completed.incrementAndGet();
        inflight.release();
        Long startedNs = startedAtNs.remove(task.getProcessInstanceId());
        if (startedNs != null && doneNs >= windowFromNs && doneNs < windowToNs) windowLatenciesMs.add((doneNs - startedNs) / 1e6);
      }
    }
  }

  private static double percentile(List<Double> sorted, double fraction) {
    if (sorted.isEmpty()) return -1;
    int rank = (int) Math.ceil(fraction * sorted.size()) - 1;
    return sorted.get(Math.max(0, rank));
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) throw new IllegalArgumentException("Expected --name value, but got " + args[i]);
      options.put(args[i].substring(2), args[i + 1]);
    }
    return options;
  }

  private static String toJson(Map<String, Object> values) {
    StringBuilder json = new StringBuilder("{");
    for (Map.Entry<String, Object> entry : values.entrySet()) {
      if (json.length() > 1) json.append(',');
      json.append('"').append(entry.getKey()).append("\":");
      Object value = entry.getValue();
      if (value instanceof Number number) {
        double asDouble = number.doubleValue();
        json.append(Double.isFinite(asDouble) ? number.toString() : "null");
      } else {
        json.append('"').append(String.valueOf(value).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
      }
    }
    return json.append('}').toString();
  }
}
