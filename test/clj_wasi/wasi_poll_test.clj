(ns clj-wasi.wasi-poll-test
  "poll_oneoff: clock accuracy (relative, absolute, every clock), several subscriptions
  at once, errors, fd readiness beating a timeout, an idle CPU while waiting, and waits
  that end when the instance's timeout interrupts them."
  (:require [clj-wasi.wasm :as wasm]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (java.lang.management ManagementFactory)))

(def ^:private prog "test/wasm/poll_clock.wasm")

(defn- run [& args]
  (wasm/run prog {:args (vec args)}))

(defn- slept-ms
  "The guest-measured durations, in ms, of the sleeps in `out`."
  [out]
  (mapv #(/ (parse-long %) 1e6) (map second (re-seq #"slept (\d+)" out))))

(defn- median [xs]
  (nth (sort xs) (quot (count xs) 2)))

(deftest relative-sleep-is-accurate
  (let [{:keys [exit out]} (run "sleep" "50" "5")
        ms (slept-ms out)]
    (is (= 0 exit))
    (is (= 5 (count ms)))
    (is (= 5 (count (re-seq #"sleep: errno=0 n=1 \[ud=7 type=0 error=0 nbytes=0 flags=0\]" out)))
        "one clock event per sleep, carrying the subscription's userdata")
    (testing "never early"
      (is (every? #(>= % 50.0) ms) (str ms)))
    (testing "late by a few ms at most (tolerant of a loaded CI box)"
      (is (< (median ms) 100) (str ms))
      (is (every? #(< % 200) ms) (str ms)))))

(deftest short-sleeps-are-not-rounded-up-much
  (let [ms (slept-ms (:out (run "sleep" "2" "10")))]
    (is (= 10 (count ms)))
    (is (every? #(>= % 2.0) ms) (str ms))
    (is (< (median ms) 30) (str ms))))

(deftest cputime-clock-sleeps-when-alone
  ;; wasmtime accepts a lone relative subscription on any clock and just sleeps
  (let [{:keys [out]} (run "cpu" "30")
        [ms] (slept-ms out)]
    (is (re-find #"sleep: errno=0 n=1" out))
    (is (<= 30.0 ms 150.0) (str ms))))

(deftest several-clocks-absolute-and-relative
  (let [{:keys [exit out]} (run "clocks")
        lines (str/split-lines out)
        elapsed (map #(/ (parse-long %) 1e6) (map second (re-seq #"elapsed (\d+)" out)))]
    (is (= 0 exit))
    (testing "the absolute monotonic deadline 20 ms ahead fires first, alone"
      (is (= "abs-monotonic-first: errno=0 n=1 [ud=2 type=0 error=0 nbytes=0 flags=0]" (nth lines 0)))
      (is (<= 20.0 (first elapsed) 120.0) (str elapsed)))
    (testing "an absolute realtime deadline 30 ms ahead"
      (is (= "abs-realtime: errno=0 n=1 [ud=4 type=0 error=0 nbytes=0 flags=0]" (nth lines 2)))
      (is (<= 29.0 (second elapsed) 130.0) (str elapsed)))
    (testing "deadlines already past fire together, at once; the far one does not"
      (is (= "past: errno=0 n=2 [ud=6 type=0 error=0 nbytes=0 flags=0] [ud=7 type=0 error=0 nbytes=0 flags=0]"
             (nth lines 4))))
    (testing "a ready fd is reported without the zero timeout also firing"
      (is (= "fd-beats-timeout: errno=0 n=1 [ud=10 type=2 error=0 nbytes=1 flags=0]" (nth lines 5))))))

(deftest errors
  (let [{:keys [exit out]} (run "errors")]
    (is (= 0 exit))
    (is (str/includes? out "nsubscriptions-0: errno=28\n") "EINVAL")
    (is (str/includes? out "bad-clock: errno=28\n"))
    (is (str/includes? out "cputime-with-others: errno=28\n") "CPU-time clocks only as a lone sleep")
    (is (str/includes? out "cputime-absolute: errno=28\n"))
    (is (str/includes? out "bad-tag: errno=28\n"))
    (is (str/includes? out "bad-pointer: errno=21\n") "EFAULT")
    (testing "a bad fd, stdin for writing, stdout for reading: EBADF events, at once"
      (is (str/includes? out (str "bad-fds: errno=0 n=3 [ud=11 type=1 error=8 nbytes=0 flags=0] "
                                  "[ud=12 type=2 error=8 nbytes=0 flags=0] "
                                  "[ud=13 type=1 error=8 nbytes=0 flags=0]\n"))))))

(deftest regular-files-are-always-ready
  (let [dir (java.nio.file.Files/createTempDirectory "poll-files" (make-array java.nio.file.attribute.FileAttribute 0))
        {:keys [exit out]} (try (wasm/run prog {:args ["files"] :preopens {"/sandbox" (str dir)}})
                                (finally
                                  (java.nio.file.Files/deleteIfExists (.resolve dir "poll.txt"))
                                  (java.nio.file.Files/deleteIfExists dir)))]
    (is (= 0 exit) out)
    (testing "reading: the bytes left before the end; writing: ready; a directory: EBADF"
      (is (str/includes? out (str "file: errno=0 n=3 [ud=1 type=1 error=0 nbytes=4 flags=0] "
                                  "[ud=2 type=2 error=0 nbytes=1 flags=0] "
                                  "[ud=3 type=1 error=8 nbytes=0 flags=0]\n"))))
    (testing "at the end of the file: a hangup"
      (is (str/includes? out "file-at-end: errno=0 n=1 [ud=1 type=1 error=0 nbytes=0 flags=1]\n")))))

(deftest fixed-clock-still-sleeps-in-real-time
  ;; a frozen clock makes clock_time_get deterministic; relative timeouts still pass
  (let [t0 (System/nanoTime)
        {:keys [exit out]} (wasm/run prog {:args ["sleep" "100"] :clock 0})
        ms (/ (- (System/nanoTime) t0) 1e6)]
    (is (= 0 exit))
    (is (str/includes? out "slept 0\n") "the guest's clock did not move")
    (is (>= ms 100.0))))

(defn- process-cpu-nanos []
  (.getProcessCpuTime ^com.sun.management.OperatingSystemMXBean
                      (ManagementFactory/getOperatingSystemMXBean)))

(defn- thread-cpu-nanos []
  (.getCurrentThreadCpuTime (ManagementFactory/getThreadMXBean)))

(defn- cpu-during
  "Runs `f` on this thread; returns [result wall-ms thread-cpu-ms process-cpu-ms]."
  [f]
  (let [w0 (System/nanoTime) t0 (thread-cpu-nanos) p0 (process-cpu-nanos)
        r (f)]
    [r (/ (- (System/nanoTime) w0) 1e6) (/ (- (thread-cpu-nanos) t0) 1e6)
     (/ (- (process-cpu-nanos) p0) 1e6)]))

(deftest waiting-leaves-the-cpu-idle
  (with-open [inst (wasm/load-wasi prog {:args ["sleep" "1000"] :stdout :capture})]
    (let [start (wasm/fn inst "_start")
          [exit wall thread-cpu process-cpu] (cpu-during start)]
      (is (= 0 exit))
      (is (>= wall 1000.0))
      (is (< thread-cpu 100.0) (str "guest thread used " thread-cpu " ms CPU in a 1 s poll"))
      (is (< process-cpu 400.0) (str "the JVM used " process-cpu " ms CPU during a 1 s poll")))))

(deftest waiting-on-stdin-leaves-the-cpu-idle
  ;; stdin that never delivers: the pump thread and the guest both sleep until the timeout
  (let [pin (java.io.PipedInputStream.)
        pout (java.io.PipedOutputStream. pin)]
    (with-open [inst (wasm/load-wasi prog {:args ["stdin" "1000"] :stdin pin :stdout :capture})]
      (let [f (future ((wasm/fn inst "_start")))]
        (Thread/sleep 50)
        (let [[_ _ _ process-cpu] (cpu-during #(Thread/sleep 1000))]
          (is (< process-cpu 300.0) (str "the JVM used " process-cpu " ms CPU while the guest waited")))
        (.close pout)
        (is (= 0 (deref f 5000 :timeout)))
        (is (re-find #"timeout\n" (wasm/captured inst :stdout)))))))

(deftest instance-timeout-interrupts-a-wait
  (let [t0 (System/nanoTime)
        e (try (wasm/run prog {:args ["sleep" "10000"] :timeout-ms 300}) nil
               (catch clojure.lang.ExceptionInfo e e))
        ms (/ (- (System/nanoTime) t0) 1e6)]
    (is (some? e) "the call did not end in its timeout")
    (is (< ms 3000.0) (str "took " ms " ms"))))

(defspec the-earliest-of-several-timeouts-fires 10
  ;; one poll on several relative timeouts: the earliest always fires, and nothing fires
  ;; before its time (timeouts that expire together are reported together)
  (prop/for-all [ms (gen/vector (gen/choose 0 30) 1 6)]
    (let [{:keys [out]} (apply run "race" (map str ms))
          fired (map #(parse-long (second %)) (re-seq #"\[ud=(\d+) type=0 error=0" out))
          [slept] (slept-ms out)
          earliest (apply min ms)]
      (and (str/includes? out "race: errno=0")
           (seq fired)
           (some #(= earliest (nth ms %)) fired)
           (every? #(<= (nth ms %) slept) fired)
           (>= slept earliest)))))
