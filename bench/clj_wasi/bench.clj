(ns clj-wasi.bench
  "The clj-wasi benchmark suite (issue 5).

      bin/clojure -M:bench                 # full run, ~15 min on 2 cores; writes docs/PERFORMANCE.md
      bin/clojure -M:bench --quick         # smoke run, ~1 min; writes bench/out/PERFORMANCE-quick.md
      bin/clojure -M:bench --only kernels,interp,stdout,copy,calls,startup [--out FILE]
      bin/clojure -M:bench --only kernels,realcode,simd [--quick]   # the compiler kernels
      bin/clojure -M:bench --only realcode --print-compilation [--kernel vm]
                                           # what HotSpot does with the generated code

  Every figure is measured in the same JVM run for clj-wasi (:compiler, :auto,
  :interpreter), Chicory's own WASI (com.dylibso.chicory.wasi.WasiPreview1, on Chicory's
  compiler and interpreter) and, when `node` is on PATH, Node's node:wasi
  (bench/node/run.mjs, one Node process per repetition). Every run's output is checked.
  Times are wall clock (System/nanoTime) of compile + instantiate + run, in process,
  from the module's bytes already in memory; best of N repetitions unless stated."
  (:require [clj-wasi.bench.hotspot :as hotspot]
            [clj-wasi.bench.kernels :as kernels]
            [clj-wasi.wasm :as wasm]
            [clojure.edn :as edn]
            [clojure.java.io :as io]
            [clojure.java.shell :as sh]
            [clojure.string :as str])
  (:import (com.dylibso.chicory.compiler MachineFactoryCompiler)
           (com.dylibso.chicory.runtime ExportFunction ImportFunction ImportValues Instance
                                        InterpreterMachine)
           (com.dylibso.chicory.wasi WasiExitException WasiOptions WasiPreview1)
           (com.dylibso.chicory.wasm Parser WasmModule)
           (java.io ByteArrayOutputStream File OutputStream)
           (java.nio ByteBuffer ByteOrder)
           (java.nio.file Files Path)
           (java.nio.file.attribute FileAttribute)
           (java.security MessageDigest)
           (java.time ZonedDateTime)
           (java.time.format DateTimeFormatter)
           (java.util.function Function)))

(set! *warn-on-reflection* true)

;; ---------------------------------------------------------------------------
;; configuration

(def full-config
  {:reps 5
   ;; CPU kernels: [module args] run to completion on every engine (~0.5-1 s on Node)
   :kernels [{:name "fib" :args ["40"] :what "recursive fib(40)"}
             {:name "sieve" :args ["20000000" "5"] :what "primes below 20M, 5 times"}
             {:name "sha256" :args ["64"] :what "SHA-256 of 64 MiB generated in-guest"}
             {:name "nbody" :args ["5000000"] :what "n-body, 5M steps"}]
   ;; the interpreters are ~100-300x slower: they get a reduced workload (Node runs it too)
   :interp-kernels [{:name "fib" :args ["30"] :what "fib(30)"}
                    {:name "sieve" :args ["2000000" "1"] :what "primes below 2M, once"}
                    {:name "sha256" :args ["1"] :what "SHA-256 of 1 MiB"}
                    {:name "nbody" :args ["100000"] :what "n-body, 100k steps"}]
   ;; issue 15: code that looks like real programs, and SIMD (-msimd128)
   :realcode kernels/realcode-full
   :simd kernels/simd-full
   ;; a clj-wasi run of a new-section kernel is stopped after this long (an engine that
   ;; interprets a SIMD kernel would take many minutes); a run over repeat-limit-secs is
   ;; not repeated
   :timeout-secs 30
   :repeat-limit-secs 10
   :stdout-mib 256
   :copy-mib 256
   :calls 10000000
   :warm-iters 20
   :cold-reps 3})

(def quick-config
  {:reps 1
   :kernels [{:name "fib" :args ["32"] :what "fib(32)"}
             {:name "sieve" :args ["2000000" "1"] :what "primes below 2M, once"}
             {:name "sha256" :args ["4"] :what "SHA-256 of 4 MiB"}
             {:name "nbody" :args ["500000"] :what "n-body, 500k steps"}]
   :interp-kernels [{:name "fib" :args ["24"] :what "fib(24)"}
                    {:name "sieve" :args ["200000" "1"] :what "primes below 200k, once"}
                    {:name "sha256" :args ["1"] :what "SHA-256 of 1 MiB"}
                    {:name "nbody" :args ["10000"] :what "n-body, 10k steps"}]
   :realcode kernels/realcode-quick
   :simd kernels/simd-quick
   :timeout-secs 10
   :repeat-limit-secs 10
   :stdout-mib 32
   :copy-mib 32
   :calls 1000000
   :warm-iters 5
   :cold-reps 1})

(def engines
  "Every engine, in table order."
  [:node :clj-compiler :clj-auto :chicory-compiler :clj-interpreter :chicory-interpreter])

(def engine-label
  {:node "Node node:wasi"
   :clj-compiler "clj-wasi :compiler"
   :clj-auto "clj-wasi :auto"
   :clj-interpreter "clj-wasi :interpreter"
   :chicory-compiler "Chicory WASI, compiler"
   :chicory-interpreter "Chicory WASI, interpreter"})

(def wasm-dir "bench/wasm")
(defn- wasm-file ^String [n] (str wasm-dir "/" n ".wasm"))

(defn- log [& xs] (binding [*out* *err*] (apply println xs) (flush)))

;; ---------------------------------------------------------------------------
;; expected outputs (computed independently on the JVM, or known constants)

(defn- fib-expected [n]
  (loop [a 0 b 1 i 0] (if (= i n) (unchecked-int a) (recur b (unchecked-add a b) (inc i)))))

(defn- sieve-count [^long limit]
  (let [s (boolean-array limit true)]
    (when (> limit 0) (aset s 0 false))
    (when (> limit 1) (aset s 1 false))
    (loop [i 2]
      (when (< (* i i) limit)
        (when (aget s i)
          (loop [j (* i i)] (when (< j limit) (aset s j false) (recur (+ j i)))))
        (recur (inc i))))
    (loop [i 0 c 0] (if (< i limit) (recur (inc i) (if (aget s i) (inc c) c)) c))))

(defn- sha256-expected
  "The digest of the guest's generator (xorshift64*, little-endian u64s), via MessageDigest."
  [^long mib]
  (let [md (MessageDigest/getInstance "SHA-256")
        chunk (* 1024 1024)
        bb (.order (ByteBuffer/allocate chunk) ByteOrder/LITTLE_ENDIAN)
        next! (kernels/xorshift64*)]
    (dotimes [_ mib]
      (.clear bb)
      (dotimes [_ (quot chunk 8)]
        (.putLong bb (long (next!))))
      (.update md (.array bb)))
    (apply str (map #(format "%02x" (bit-and (long %) 0xff)) (.digest md)))))

(def ^:private nbody-expected
  ;; energies printed with %.9f; also what native x86-64 C (gcc -O2, no FMA) prints
  {"5000000" "-0.169075164\n-0.169083134\n"
   "500000" "-0.169075164\n-0.169096567\n"
   "100000" "-0.169075164\n-0.169079859\n"
   "50000" "-0.169075164\n-0.169078071\n"
   "10000" "-0.169075164\n-0.169016441\n"})

(defn- expected-output [{:keys [name args] :as k}]
  (case name
    "fib" (let [n (parse-long (first args))] (format "fib(%d) = %d\n" n (fib-expected n)))
    "sieve" (let [[l r] args]
              (format "primes below %s: %d (x%s)\n" l (sieve-count (parse-long l)) r))
    "sha256" (format "sha256(%s MiB) = %s\n" (first args) (sha256-expected (parse-long (first args))))
    "nbody" (or (nbody-expected (first args))
                (throw (ex-info (str "no expected n-body output for " (first args) " steps") {})))
    (kernels/expected-output k)))

;; ---------------------------------------------------------------------------
;; running one module on one engine

(defn- now ^long [] (System/nanoTime))
(defn- secs [^long t0 ^long t1] (/ (- t1 t0) 1e9))

(defn counting-stream
  "An OutputStream that keeps only a byte count (the returned atom-like long-array)."
  [^longs counter]
  (proxy [OutputStream] []
    (write
      ([x] (aset counter 0 (+ (aget counter 0) (long (if (bytes? x) (alength ^bytes x) 1)))))
      ([b off len] (aset counter 0 (+ (aget counter 0) (long len))) nil))))

(defn- clj-run
  "One clj-wasi run of `bytes`: {:secs :exit :out}. opts: :engine :args :stdout :preopens
  :timeout-secs."
  [^bytes bytes name {:keys [engine args stdout preopens timeout-secs]}]
  (let [t0 (now)
        r (wasm/run bytes (cond-> {:engine engine :args (vec args) :argv0 (str name ".wasm")
                                   :stdout (or stdout :capture) :stderr :capture}
                            preopens (assoc :preopens preopens)
                            timeout-secs (assoc :timeout-ms (* 1000 (long timeout-secs)))))
        t1 (now)]
    {:secs (secs t0 t1) :exit (:exit r) :out (:out r) :err (:err r)}))

(defn- chicory-run
  "One run on Chicory's own WASI (WasiPreview1 + WasiOptions): parse, compile (or not),
  instantiate with Chicory's defaults, call _start."
  [^bytes bytes name {:keys [engine args stdout preopens]}]
  (let [out (ByteArrayOutputStream.)
        err (ByteArrayOutputStream.)
        t0 (now)
        ob (-> (WasiOptions/builder)
               (.withArguments (vec (cons (str name ".wasm") args)))
               (.withStdout (or stdout out))
               (.withStderr err))
        _ (doseq [[g h] preopens] (.withDirectory ob ^String g (.toPath (io/file h))))
        wasi (-> (WasiPreview1/builder) (.withOptions (.build ob)) (.build))
        module (Parser/parse bytes)
        ib (-> (Instance/builder module)
               (.withImportValues (-> (ImportValues/builder)
                                      (.addFunction ^"[Lcom.dylibso.chicory.runtime.ImportFunction;"
                                                    (into-array ImportFunction (.toHostFunctions wasi)))
                                      (.build)))
               (.withStart false))
        ib (if (= engine :compiler)
             (.withMachineFactory ib (MachineFactoryCompiler/compile ^WasmModule module))
             (.withMachineFactory ib (reify Function (apply [_ i] (InterpreterMachine. i)))))
        exit (try
               (let [inst (.build ib)]
                 (.apply (.export inst "_start") (long-array 0))
                 0)
               (catch WasiExitException e (.exitCode e))
               (finally (.close wasi)))
        t1 (now)]
    {:secs (secs t0 t1) :exit exit :out (.toString out "UTF-8") :err (.toString err "UTF-8")}))

(defn node-available? []
  (try (zero? (:exit (sh/sh "node" "--version"))) (catch Exception _ false)))

(defn- json->edn
  "The runner's JSON ({\"k\": [numbers or strings]}) as EDN: keys become keywords."
  [s]
  (edn/read-string (str/replace s #"\"(\w+)\":" ":$1 ")))

(defn- node-run
  "One Node run in a fresh process (Node 20 crashes re-instantiating big memories in one
  process); the time is measured inside Node (compile + instantiate + run)."
  [_bytes name {:keys [args stdout preopens]}]
  (let [cmd (concat ["node" "--no-warnings" "bench/node/run.mjs" "--reps" "1"
                     "--stdout" (if (= stdout :null) "null" "capture")]
                    (mapcat (fn [[g h]] ["--dir" (str g "=" h)]) preopens)
                    [(wasm-file name)] args)
        {:keys [exit out err]} (apply sh/sh cmd)]
    (when-not (zero? exit)
      (throw (ex-info (str "node failed: " err) {:cmd cmd :exit exit :err err})))
    (let [r (json->edn out)]
      {:secs (first (:times r)) :exit (first (:exit r)) :out (first (:stdout r)) :err err})))

(defn- run-once [engine bytes name opts]
  (case engine
    :node (node-run bytes name opts)
    :clj-compiler (clj-run bytes name (assoc opts :engine :compiler))
    :clj-auto (clj-run bytes name (assoc opts :engine :auto))
    :clj-interpreter (clj-run bytes name (assoc opts :engine :interpreter))
    :chicory-compiler (chicory-run bytes name (assoc opts :engine :compiler))
    :chicory-interpreter (chicory-run bytes name (assoc opts :engine :interpreter))))

(defn- measure
  "Runs `reps` times (calling `before` first, untimed); each run's result is checked with
  `check` (returns an error string or nil). A run longer than `repeat-limit-secs` is not
  repeated. {:best :times} or {:error :error-type :times}; :error-type is the ex-info's
  :type (e.g. :wasm/compile when an engine refuses the module, :wasm/timeout)."
  [engine bytes name opts reps {:keys [check before repeat-limit-secs]}]
  (let [done (fn [times] {:best (apply min times) :median (nth (sort times) (quot (count times) 2))
                          :times times})]
    (loop [i 0 times []]
      (if (= i reps)
        (done times)
        (let [_ (when before (before))
              r (try (run-once engine bytes name opts)
                     (catch Throwable t {:error (str (class t) ": " (ex-message t))
                                         :error-type (:type (ex-data t))}))
              problem (or (:error r)
                          (when-not (= 0 (:exit r)) (str "exit " (:exit r) " " (:err r)))
                          (when check (check r)))]
          (cond
            problem
            (do (log "   " (engine-label engine) name "FAILED:" problem)
                {:error problem :error-type (:error-type r) :times times})

            (and repeat-limit-secs (> (double (:secs r)) (double repeat-limit-secs)))
            (do (log (format "    %-26s %-8s %8.3f s (too slow to repeat)" (engine-label engine) name (double (:secs r))))
                (done (conj times (:secs r))))

            :else
            (do (log (format "    %-26s %-8s %8.3f s" (engine-label engine) name (double (:secs r))))
                (recur (inc i) (conj times (:secs r))))))))))

(defn- read-bytes ^bytes [^String f] (Files/readAllBytes (.toPath (io/file f))))

;; ---------------------------------------------------------------------------
;; the benchmarks

(defn- kernel-bench
  "Runs every kernel on every engine. With `limited?`, clj-wasi runs stop after the
  config's :timeout-secs and runs over :repeat-limit-secs are not repeated."
  ([cfg kernels engines-used] (kernel-bench cfg kernels engines-used false))
  ([cfg kernels engines-used limited?]
   (vec
    (for [k kernels]
      (let [expected (expected-output k)
            bytes (read-bytes (wasm-file (:name k)))
            check (fn [r] (when-not (= expected (:out r))
                            (str "output " (pr-str (:out r)) ", expected " (pr-str expected))))]
        (log "  " (:what k) "->" (pr-str expected))
        (assoc k :expected expected
               :results (into {} (for [e engines-used]
                                   [e (cond-> (measure e bytes (:name k)
                                               (cond-> {:args (:args k)}
                                                 (and limited? (not= e :node)) (assoc :timeout-secs (:timeout-secs cfg)))
                                               (:reps cfg)
                                               (cond-> {:check check}
                                                 limited? (assoc :repeat-limit-secs (:repeat-limit-secs cfg))))
                                      ;; a timed-out run took at least the timeout
                                      true (as-> r (if (= :wasm/timeout (:error-type r))
                                                     (assoc r :at-least (:timeout-secs cfg))
                                                     r)))]))))))))

(defn- stdout-bench [cfg engines-used]
  (let [mib (:stdout-mib cfg)
        total (* mib 1024 1024)
        bytes (read-bytes (wasm-file "stdout_flood"))]
    (log "  stdout:" mib "MiB in 4 KiB fd_write calls")
    {:mib mib
     :results
     (into {}
           (for [e engines-used]
             (let [counter (long-array 1)
                   opts {:args [(str mib)]
                         :stdout (if (= e :node) :null (counting-stream counter))}]
               [e (measure e bytes "stdout_flood" opts (:reps cfg)
                           {:before #(aset counter 0 0)
                            :check (fn [r]
                                     (cond
                                       (not (str/includes? (:err r) (str "wrote " total " bytes")))
                                       (str "stderr " (pr-str (:err r)))
                                       (and (not= e :node) (not= total (aget counter 0)))
                                       (str "host received " (aget counter 0) " bytes")))})])))}))

(defn- sh! [& cmd]
  (let [{:keys [exit err] :as r} (apply sh/sh cmd)]
    (when-not (zero? exit) (throw (ex-info (str "failed: " (str/join " " cmd) ": " err) r)))
    r))

(defn- make-data-file
  "A deterministic file of `mib` MiB (not all-zero, so nothing can treat it as sparse)."
  [^File f mib]
  (with-open [out (io/output-stream f)]
    (let [buf (byte-array (* 1024 1024))]
      (dotimes [m mib]
        (dotimes [i (alength buf)] (aset buf i (unchecked-byte (+ (* i 31) m (quot i 4096)))))
        (.write out buf)))))

(defn- copy-bench [cfg engines-used]
  (let [mib (:copy-mib cfg)
        total (* mib 1024 1024)
        root (doto (io/file "bench/out/copy") (.mkdirs))
        src-dir (doto (io/file root "src") (.mkdirs))
        dst-dir (doto (io/file root "dst") (.mkdirs))
        src (io/file src-dir "data.bin")
        dst (io/file dst-dir "data.bin")
        bytes (read-bytes (wasm-file "copy"))
        clean! (fn [] (.delete dst) (sh! "sync"))
        check (fn [_]
                (when-not (= total (.length dst)) (str "destination has " (.length dst) " bytes")))
        verify (fn [] (when-not (= -1 (Files/mismatch (.toPath src) (.toPath dst)))
                        "destination differs from source"))]
    (when-not (= total (.length src))
      (log "  writing" mib "MiB source file" (str src))
      (make-data-file src mib))
    (sh! "cat" (str src))   ; into the page cache for everyone
    (log "  file copy:" mib "MiB, 64 KiB read/write buffers, preopens /in and /out")
    (let [host-copy (fn [label cmd]
                      (loop [i 0 times []]
                        (if (= i (:reps cfg))
                          {:best (apply min times) :times times}
                          (do (clean!)
                              (let [t0 (now) _ (apply sh! cmd) t1 (now)]
                                (log (format "    %-26s %-8s %8.3f s" label "copy" (secs t0 t1)))
                                (recur (inc i) (conj times (secs t0 t1))))))))
          cp (host-copy "cp" ["cp" (str src) (str dst)])
          dd (host-copy "dd bs=64K" ["dd" (str "if=" src) (str "of=" dst) "bs=64K"])
          results (into {}
                        (for [e engines-used]
                          (let [r (measure e bytes "copy"
                                           {:args ["/in/data.bin" "/out/data.bin" "65536"]
                                            :preopens {"/in" (str (.getAbsoluteFile src-dir))
                                                       "/out" (str (.getAbsoluteFile dst-dir))}}
                                           (:reps cfg) {:before clean! :check check})]
                            [e (if-let [bad (and (not (:error r)) (verify))] {:error bad} r)])))]
      (.delete dst)
      {:mib mib :cp cp :dd dd :cp-version (first (str/split-lines (:out (sh/sh "cp" "--version"))))
       :results results})))

(defn- chicory-instance ^Instance [^bytes bytes engine]
  (let [m (Parser/parse bytes)
        b (Instance/builder m)]
    (.build (if (= engine :compiler)
              (.withMachineFactory b (MachineFactoryCompiler/compile ^WasmModule m))
              b))))

(defn- ns-per-call [^long n f]
  (let [t0 (now)]
    (f n)
    (/ (double (- (now) t0)) n)))

(defn- calls-bench [cfg]
  (let [n (long (:calls cfg))
        bytes (read-bytes (wasm-file "add"))
        reps (max 3 (:reps cfg))]
    (log "  call overhead:" n "calls of add(i32,i32)")
    (into {}
          (for [engine [:compiler :interpreter]]
            (with-open [^java.io.Closeable inst (wasm/load bytes {:engine engine})]
              (let [f (wasm/fn inst "add")
                    ^ExportFunction ef (.export (chicory-instance bytes engine) "add")
                    _ (assert (= 5 (aget ^longs (.apply ef (long-array [2 3])) 0)))
                    via-fn (fn [^long n]
                             (loop [i 0 acc 0]
                               (if (< i n) (recur (inc i) (+ acc (long (f i 1)))) acc)))
                    direct (fn [^long n]
                             (loop [i 0 acc 0]
                               (if (< i n)
                                 (recur (inc i) (+ acc (aget ^longs (.apply ef (doto (long-array 2)
                                                                               (aset 0 i)
                                                                               (aset 1 1)))
                                                             0)))
                                 acc)))
                    _ (assert (= (f 2 3) 5))
                    ;; warm up both paths, then alternate measurements
                    _ (dotimes [_ 3] (via-fn (quot n 2)) (direct (quot n 2)))
                    rs (for [_ (range reps)] [(ns-per-call n via-fn) (ns-per-call n direct)])
                    fn-ns (apply min (map first rs))
                    direct-ns (apply min (map second rs))]
                (log (format "    %-12s wasm/fn %.1f ns/call, direct ExportFunction.apply %.1f ns/call"
                             (name engine) fn-ns direct-ns))
                [engine {:fn-ns fn-ns :direct-ns direct-ns :overhead-ns (- fn-ns direct-ns)}]))))))

(defn- median [xs] (let [v (vec (sort xs))] (nth v (quot (count v) 2))))

(defn- wall [expected-out cmd]
  (let [t0 (now) r (apply sh/sh cmd) t1 (now)]
    (when-not (and (zero? (:exit r)) (= expected-out (:out r)))
      (throw (ex-info (str "start-up run failed: " (str/join " " cmd) ": " (:err r)) r)))
    (secs t0 t1)))

(defn- startup-bench [cfg node?]
  (let [hello (wasm-file "hello")
        run-cp (str/trim (:out (sh! "bin/clojure" "-Spath" "-M:run")))
        java (str (System/getProperty "java.home") "/bin/java")
        cold-cmds (cond-> [["bin/clojure -M:run bench/wasm/hello.wasm"
                            ["bin/clojure" "-M:run" hello]]
                           ["java -cp CP clojure.main -m clj-wasi.main (auto)"
                            [java "-cp" run-cp "clojure.main" "-m" "clj-wasi.main" hello]]
                           ["java -cp CP clojure.main -m clj-wasi.main --engine interpreter"
                            [java "-cp" run-cp "clojure.main" "-m" "clj-wasi.main"
                             "--engine" "interpreter" hello]]
                           ["java -cp CP clojure.main -e nil (bare Clojure start)"
                            [java "-cp" run-cp "clojure.main" "-e" "nil"]]]
                    node? (conj ["node bench/node/run.mjs bench/wasm/hello.wasm"
                                 ["node" "--no-warnings" "bench/node/run.mjs" "--stdout" "inherit" hello]]))
        _ (log "  start-up, cold (fresh process, wall clock)")
        cold (vec (for [[label cmd] cold-cmds]
                    (let [expected (if (str/includes? label "bare") "" "hello, world\n")
                          _ (wall expected cmd)   ; untimed: settles caches (classpath, prep, OS)
                          ts (vec (for [_ (range (:cold-reps cfg))] (wall expected cmd)))]
                      (log (format "    %-64s %.3f s" label (apply min ts)))
                      {:label label :best (apply min ts) :times ts})))
        bytes (read-bytes hello)
        iters (:warm-iters cfg)
        warm-one (fn [label f]
                   (dotimes [_ (max 5 (quot iters 2))] (f))   ; warm-up
                   (let [ts (vec (for [_ (range iters)]
                                   (let [t0 (now) r (f) t1 (now)]
                                     (assert (= "hello, world\n" r) (pr-str r))
                                     (secs t0 t1))))]
                     (log (format "    %-64s median %.1f ms" label (* 1000 (median ts))))
                     {:label label :median (median ts) :best (apply min ts)}))
        _ (log "  start-up, warm (in this JVM, after warm-up)")
        warm (into {}
                   (for [[k label f]
                         [[:clj-interpreter "wasm/run (parse+instantiate+run), :interpreter"
                           #(:out (wasm/run bytes {:engine :interpreter}))]
                          [:clj-compiler "wasm/run (parse+compile+instantiate+run), :compiler"
                           #(:out (wasm/run bytes {:engine :compiler}))]
                          [:clj-auto "wasm/run (parse+compile+instantiate+run), :auto"
                           #(:out (wasm/run bytes {:engine :auto}))]
                          [:chicory-interpreter "Chicory WASI, interpreter (parse+instantiate+run)"
                           #(:out (chicory-run bytes "hello" {:engine :interpreter}))]
                          [:chicory-compiler "Chicory WASI, compiler (parse+compile+instantiate+run)"
                           #(:out (chicory-run bytes "hello" {:engine :compiler}))]
                          [:clj-interpreter-preparsed "instantiate+run of a parsed wasm/module, :interpreter"
                           (let [m (wasm/module bytes)] #(:out (wasm/run m {:engine :interpreter})))]
                          [:clj-compiler-precompiled "instantiate+run of a compiled wasm/module, :compiler"
                           (let [m (wasm/module bytes)] #(:out (wasm/run m {:engine :compiler})))]]]
                     [k (warm-one label f)]))]
    {:cold cold :warm warm}))

;; ---------------------------------------------------------------------------
;; the report

(defn- f3 [x] (if x (format "%.3f" (double x)) "-"))
(defn- ratio [a b] (when (and a b (pos? b)) (/ (double a) (double b))))
(defn- fx [r] (if r (format "%.2fx" (double r)) "-"))
(defn- geomean [xs] (when (seq xs) (Math/exp (/ (reduce + (map #(Math/log %) xs)) (count xs)))))

(defn- machine []
  (let [slurp-safe #(try (:out (sh/sh "cat" %)) (catch Exception _ ""))
        cpu (or (some->> (slurp-safe "/proc/cpuinfo") str/split-lines
                         (some #(when (str/starts-with? % "model name") (str/trim (subs % (inc (str/index-of % ":")))))))
                (System/getProperty "os.arch"))
        mem-kb (some->> (slurp-safe "/proc/meminfo") (re-find #"MemTotal:\s+(\d+)") second parse-long)
        git (try (str/trim (:out (sh/sh "git" "rev-parse" "--short" "HEAD"))) (catch Exception _ "?"))
        node (try (str/trim (:out (sh/sh "node" "--version"))) (catch Exception _ nil))]
    {:cpu cpu
     :cores (.availableProcessors (Runtime/getRuntime))
     :memory (if mem-kb (format "%.1f GiB" (/ mem-kb 1024.0 1024.0)) "?")
     :os (str (System/getProperty "os.name") " " (System/getProperty "os.version") " "
              (System/getProperty "os.arch"))
     :jdk (str (System/getProperty "java.vm.name") " " (System/getProperty "java.runtime.version"))
     :jvm-args (str/join " " (.getInputArguments (java.lang.management.ManagementFactory/getRuntimeMXBean)))
     :node (or node "not found")
     :git git
     :load (first (str/split-lines (slurp-safe "/proc/loadavg")))
     :date (.format (ZonedDateTime/now) DateTimeFormatter/RFC_1123_DATE_TIME)}))

(defn- best [results e] (get-in results [e :best]))

(defn- seconds
  "An engine's time for a kernel: [secs lower-bound?] (a timed-out run: at least the
  timeout), or nil when it has none (refused, failed, not run)."
  [results e]
  (let [r (get results e)]
    (cond (:best r) [(:best r) false]
          (:at-least r) [(:at-least r) true])))

(defn- cell [results e base]
  (let [r (get results e)
        [t bound?] (seconds results e)
        gt (if bound? "> " "")]
    (cond
      (nil? r) "-"
      t (str gt (f3 t) (when-let [x (ratio t base)] (str " (" gt (fx x) ")")))
      (= :wasm/compile (:error-type r)) "refused"
      :else "FAILED")))

(defn- geomean-cell
  "The geomean of an engine's ratios to Node: \"> \" when a timed-out run is in it, and
  how many kernels it covers when some have no time."
  [rows e]
  (let [xs (keep #(when-let [[t bound?] (seconds (:results %) e)]
                    (when-let [x (ratio t (best (:results %) :node))] [x bound?]))
                 rows)]
    (if (empty? xs)
      "-"
      (str (when (some second xs) "> ") (fx (geomean (map first xs)))
           (when (< (count xs) (count rows)) (format " (%d of %d)" (count xs) (count rows)))))))

(defn- kernel-table
  "Seconds and ratios to Node per kernel and engine, a geomean row, and clj-wasi / Chicory
  when Chicory's engine of the same kind is a column."
  [rows cols]
  (let [[clj-e chi-e] (if (some #{:clj-compiler} cols)
                        [:clj-compiler :chicory-compiler]
                        [:clj-interpreter :chicory-interpreter])
        chicory? (some #{chi-e} cols)
        head (str "| kernel | workload | " (str/join " | " (map engine-label cols))
                  (when chicory? " | clj-wasi / Chicory") " |")
        sep (str "|---|---|" (str/join "|" (repeat (cond-> (count cols) chicory? inc) "---:")) "|")]
    (str/join "\n"
              (concat [head sep]
                      (for [{:keys [name what results]} rows]
                        (let [base (best results :node)]
                          (str "| " name " | " what " | "
                               (str/join " | " (for [e cols] (if (= e :node) (f3 base) (cell results e base))))
                               (when chicory?
                                 (str " | " (fx (ratio (best results clj-e) (best results chi-e)))))
                               " |")))
                      [(str "| **geomean vs Node** | | "
                            (str/join " | " (for [e cols] (if (= e :node) "1.00x" (geomean-cell rows e))))
                            (when chicory?
                              (str " | " (fx (geomean (keep #(ratio (best (:results %) clj-e)
                                                                    (best (:results %) chi-e))
                                                            rows)))))
                            " |")]))))

(defn- io-table [results engines-used total metric]
  (let [node (best results :node)]
    (str/join "\n"
              (concat ["| engine | best of N (s) | throughput | vs Node | vs Chicory (same engine kind) |"
                       "|---|---:|---:|---:|---:|"]
                      (for [e engines-used
                            :let [r (get results e) b (:best r)
                                  chi (best results (if (#{:clj-interpreter :chicory-interpreter} e)
                                                      :chicory-interpreter :chicory-compiler))]]
                        (if (:error r)
                          (str "| " (engine-label e) " | FAILED: " (:error r) " | | | |")
                          (str "| " (engine-label e) " | " (f3 b) " | " (metric total b)
                               " | " (if (= e :node) "1.00x" (fx (ratio b node)))
                               " | " (if (#{:node :chicory-compiler :chicory-interpreter} e) "" (fx (ratio b chi)))
                               " |")))))))

(defn- gbps [total s] (format "%.2f GB/s" (/ total s 1e9)))

(defn- node-ratios
  "[kernel ratio lower-bound?] for each kernel `pick` gives a time for; (pick results)
  returns [secs lower-bound?] or nil."
  [rows pick]
  (keep (fn [{:keys [name results]}]
          (when-let [[t bound?] (pick results)]
            (when-let [x (ratio t (best results :node))] [name x bound?])))
        rows))

(defn- issue-15-rows
  "The issue-15 targets for the compiler: the four kernels (geomean <= 1.3x, none over
  1.6x), the real-code set (geomean <= 1.5x) and the SIMD set (each <= 2x; :auto when
  :compiler refuses SIMD)."
  [{:keys [kernels realcode simd]}]
  (let [on (fn [& es] (fn [results] (some #(seconds results %) es)))
        gt (fn [rs] (if (some #(nth % 2) rs) "> " ""))
        worst (fn [rs] (apply max-key second rs))]
    [(when-let [rs (seq (node-ratios kernels (on :clj-compiler)))]
       (let [g (geomean (map second rs)) [wn wx] (worst rs)
             met (and (<= g 1.3) (<= wx 1.6) (= (count rs) (count kernels)))]
         {:target "issue 15: the four kernels, geomean <= 1.3x Node and none over 1.6x (:compiler)"
          :measured (format "geomean %s, worst %s (%s)" (fx g) (fx wx) wn) :met met
          :by (format "geomean %+.2fx, worst %+.2fx" (- g 1.3) (- wx 1.6))}))
     (when-let [rs (seq (node-ratios realcode (on :clj-compiler)))]
       (let [g (geomean (map second rs))
             met (and (<= g 1.5) (= (count rs) (count realcode)) (not-any? #(nth % 2) rs))]
         {:target "issue 15: real-code kernels, geomean <= 1.5x Node (:compiler)"
          :measured (str (gt rs) (fx g) (when (< (count rs) (count realcode))
                                          (format " (%d of %d kernels)" (count rs) (count realcode))))
          :met met :by (format "%+.2fx" (- g 1.5))}))
     (when-let [rs (seq (node-ratios simd (on :clj-compiler :clj-auto)))]
       (let [[wn wx bound?] (worst rs)
             met (and (<= wx 2.0) (= (count rs) (count simd)) (not-any? #(nth % 2) rs))]
         {:target "issue 15: SIMD kernels, each <= 2x Node (:compiler; :auto where it refuses SIMD)"
          :measured (format "worst %s%s (%s)" (if bound? "> " "") (fx wx) wn) :met met
          :by (format "%+.2fx" (- wx 2.0))}))]))

(defn- issue-5-rows [{:keys [kernels stdout copy calls startup]}]
  (remove nil?
          [(when kernels
             (let [g (geomean (keep #(ratio (best (:results %) :clj-compiler) (best (:results %) :node)) kernels))]
               (when g
                 {:target "compiled CPU kernels, geomean within 1.5x of Node"
                  :measured (fx g) :met (<= g 1.5)
                  :by (if (<= g 1.5) (format "%.2fx to spare" (- 1.5 g)) (format "%.1fx too slow (%.2fx over)" (/ g 1.5) (- g 1.5)))})))
           (when stdout
             (when-let [b (best (:results stdout) :clj-compiler)]
               (let [rate (/ (* (:mib stdout) 1024 1024) b 1e9)]
                 {:target "stdout, 4 KiB writes: >= 1 GB/s (clj-wasi :compiler)"
                  :measured (format "%.2f GB/s" rate) :met (>= rate 1.0)
                  :by (format "%+.0f%%" (* 100 (- rate 1.0)))})))
           (when copy
             (when-let [b (best (:results copy) :clj-compiler)]
               (let [pct (* 100 (/ (get-in copy [:cp :best]) b))]
                 {:target "file copy >= 80% of cp's throughput (clj-wasi :compiler)"
                  :measured (format "%.0f%% of cp" pct) :met (>= pct 80)
                  :by (format "%+.0f points" (- pct 80))})))
           (when calls
             (let [o (get-in calls [:compiler :overhead-ns])]
               {:target "wasm/fn <= 30 ns above a direct ExportFunction.apply (:compiler)"
                :measured (format "%+.1f ns" o) :met (<= o 30)
                :by (format "%+.1f ns vs the 30 ns budget" (- o 30))}))
           (when startup
             (let [i (* 1000 (get-in startup [:warm :clj-interpreter :median]))]
               {:target "warm hello-world < 50 ms, :interpreter"
                :measured (format "%.1f ms" i) :met (< i 50) :by (format "%+.1f ms" (- i 50))}))
           (when startup
             (let [c (* 1000 (get-in startup [:warm :clj-compiler :median]))]
               {:target "warm hello-world < 300 ms, :compiler"
                :measured (format "%.1f ms" c) :met (< c 300) :by (format "%+.1f ms" (- c 300))}))]))

(defn- view
  "The part of a run's results one block of PERFORMANCE.md shows: :issue-15 (the compiler
  kernels: kernels, realcode, simd) or :issue-5 (everything but realcode and simd)."
  [res v]
  (case v
    :issue-15 (dissoc res :interp :stdout :copy :calls :startup)
    :issue-5 (dissoc res :realcode :simd)))

(defn- target-rows [res v]
  (case v
    :issue-5 (issue-5-rows res)
    :issue-15 (remove nil? (issue-15-rows res))))

(defn- report
  "The markdown of view `v` (see `view`) of a run's results."
  [res v]
  (let [{:keys [machine cfg quick? kernels realcode simd interp stdout copy calls startup engines-used] :as res}
        (view res v)
        compiled-cols (filterv #{:node :clj-compiler :clj-auto :chicory-compiler} engines-used)
        issue-15-cols (filterv #{:node :clj-compiler :clj-auto} engines-used)
        interp-cols (filterv #{:node :clj-interpreter :chicory-interpreter} engines-used)
        io-engines (filterv (set engines-used) engines)]
    (str/join
     "\n"
     (concat
      [(str "Run `" (:command res) "`" (when quick? " (smoke run: small workloads, 1 repetition; not representative)")
            " on " (:date machine) ".")
       ""
       (str "- Machine: " (:cpu machine) ", " (:cores machine) " cores, " (:memory machine) " RAM; " (:os machine))
       (str "- JDK: " (:jdk machine) "; JVM options: `" (:jvm-args machine) "`")
       (str "- Node: " (:node machine) "; Chicory 1.7.5; clj-wasi commit " (:git machine))
       (str "- Repetitions: best of " (:reps cfg) " per figure (start-up: see below)")
       (str "- Load average (/proc/loadavg) at start: " (:load machine) "; at end: " (:load-end res)
            " (other processes on the machine compete for its " (:cores machine) " cores)")
       ""]
      (when-let [rows (seq (target-rows res v))]
        (concat ["### Targets" ""
                 "| target | measured | met? | by |" "|---|---:|---|---|"]
                (for [{:keys [target measured met by]} rows]
                  (str "| " target " | " measured " | " (if met "met" "**missed**") " | " by " |"))
                [""]))
      (when kernels
        ["### CPU kernels, compiled engines (seconds, best of N; ratio vs Node)" ""
         (kernel-table kernels compiled-cols) ""])
      (when realcode
        ["### Real-code kernels, compiled engines (issue 15; seconds, best of N; ratio vs Node)" ""
         (kernel-table realcode issue-15-cols) ""])
      (when simd
        ["### SIMD kernels, `-msimd128` (issue 15; seconds, best of N; ratio vs Node)" ""
         (str "\"refused\": the engine does not run SIMD (`:wasm/compile`). \"> N s\": clj-wasi runs are "
              "stopped after " (:timeout-secs cfg) " s (the time is a lower bound); runs over "
              (:repeat-limit-secs cfg) " s are not repeated.") ""
         (kernel-table simd issue-15-cols) ""])
      (when interp
        ["### CPU kernels, interpreters (reduced workloads; seconds, best of N; ratio vs Node)" ""
         "Node runs the same reduced workloads, where its time is mostly compile + WASI set-up, so these ratios understate how much slower an interpreter is per instruction." ""
         (kernel-table interp interp-cols) ""])
      (when stdout
        [(str "### stdout: " (:stdout-mib cfg) " MiB in 4 KiB fd_write calls") ""
         "Guest stdout goes to a counting OutputStream (clj-wasi, Chicory) or /dev/null (Node). GB = 10^9 bytes." ""
         (io-table (:results stdout) io-engines (* (:mib stdout) 1024 1024) gbps) ""])
      (when copy
        [(str "### File copy: " (:copy-mib cfg) " MiB between two preopened directories, 64 KiB read/write buffers") ""
         (str "`" (:cp-version copy) "`: best " (f3 (get-in copy [:cp :best])) " s ("
              (gbps (* (:mib copy) 1024 1024) (get-in copy [:cp :best])) "; cp 9.x copies with copy_file_range(2), inside the kernel). "
              "`dd bs=64K` (plain read(2)/write(2) with 64 KiB buffers, like the guest): best " (f3 (get-in copy [:dd :best])) " s ("
              (gbps (* (:mib copy) 1024 1024) (get-in copy [:dd :best])) "). Source file in the page cache; `sync` before each run, untimed.") ""
         (io-table (:results copy) io-engines (* (:mib copy) 1024 1024)
                   (fn [total s] (format "%s, %.0f%% of cp, %.0f%% of dd" (gbps total s)
                                         (* 100 (/ (get-in copy [:cp :best]) s))
                                         (* 100 (/ (get-in copy [:dd :best]) s)))))
         ""])
      (when calls
        (concat [(str "### Call overhead: " (:calls cfg) " calls of add(i32,i32) (ns per call, best of 3 after warm-up)") ""
                 "| engine | `(f i 1)` via wasm/fn | ExportFunction.apply direct | overhead |" "|---|---:|---:|---:|"]
                (for [[e {:keys [fn-ns direct-ns overhead-ns]}] calls]
                  (format "| %s | %.1f | %.1f | %+.1f |" (name e) fn-ns direct-ns overhead-ns))
                [""]))
      (when startup
        (concat ["### Start-up: hello-world" ""
                 (str "Cold: wall clock of a fresh process, best of " (:cold-reps cfg) ". `CP` is `bin/clojure -Spath -M:run`.") ""
                 "| command | seconds |" "|---|---:|"]
                (for [{:keys [label best]} (:cold startup)] (format "| `%s` | %.3f |" label best))
                [""
                 (str "Warm: in this JVM after warm-up; median of " (:warm-iters cfg) " runs, from the module's bytes.") ""
                 "| what | median ms | best ms |" "|---|---:|---:|"]
                (for [[_ {:keys [label median best]}] (:warm startup)]
                  (format "| %s | %.1f | %.1f |" label (* 1000 median) (* 1000 best)))
                [""]))))))

(def ^:private results-markers
  ["<!-- BEGIN RESULTS (generated by bin/clojure -M:bench; do not edit by hand) -->"
   "<!-- END RESULTS -->"])

(def ^:private issue-15-markers
  ["<!-- BEGIN ISSUE 15 KERNELS (generated by bin/clojure -M:bench --only kernels,realcode,simd; do not edit by hand) -->"
   "<!-- END ISSUE 15 KERNELS -->"])

(defn- write-report!
  "Replaces the text between `markers` in the file at `path` (appending the markers when
  the file lacks them)."
  [^String path text [begin-marker end-marker]]
  (let [f (io/file path)
        old (if (.exists f) (slurp f) "# Performance\n")
        old (if (str/includes? old begin-marker) old (str old "\n" begin-marker "\n" end-marker "\n"))
        i (str/index-of old begin-marker)
        j (str/index-of old end-marker)
        new (str (subs old 0 (+ i (count begin-marker))) "\n\n" text "\n" (subs old j))]
    (io/make-parents f)
    (spit f new)
    (log "wrote" path)))

;; ---------------------------------------------------------------------------

(defn- parse-cli [args]
  (loop [[a & more] args, o {}]
    (case a
      nil o
      "--quick" (recur more (assoc o :quick true))
      "--only" (recur (rest more) (assoc o :only (set (map keyword (str/split (first more) #",")))))
      "--out" (recur (rest more) (assoc o :out (first more)))
      "--no-node" (recur more (assoc o :no-node true))
      "--print-compilation" (recur more (assoc o :print-compilation true))
      "--kernel" (recur (rest more) (assoc o :kernel (first more)))
      (throw (ex-info (str "unknown argument " a "; use --quick, --only a,b, --out FILE, --no-node, "
                           "--print-compilation [--kernel NAME]")
                      {:type :bench/usage})))))

(defn- print-compilation!
  "--print-compilation: each selected kernel once in a child JVM under PrintCompilation
  (clj-wasi.bench.hotspot), stopped after the config's :timeout-secs; each summary goes
  to stdout as it comes, and all of them to `path`."
  [cfg want? kernel path]
  (let [ks (for [section [:kernels :realcode :simd]
                 :when (want? section)
                 k (get cfg section)
                 :when (or (nil? kernel) (= kernel (:name k)))]
             (assoc k :engine :compiler))
        _ (when (empty? ks)
            (throw (ex-info (str "no kernel selected (--only / --kernel " kernel ")") {:type :bench/usage})))
        header (str "PrintCompilation summaries, " (.format (ZonedDateTime/now) DateTimeFormatter/RFC_1123_DATE_TIME)
                    "; JDK " (System/getProperty "java.runtime.version")
                    "; runs stopped after " (:timeout-secs cfg) " s\n")
        _ (println header)
        blocks (doall
                (for [k ks]
                  (let [_ (log "  PrintCompilation:" (:name k) (str/join " " (:args k)) "on" (:engine k))
                        expected (expected-output k)
                        r (hotspot/inspect-kernel k (wasm-file (:name k)) (:timeout-secs cfg))
                        block (str/join
                               "\n"
                               (cond
                                 (:error r) [(str "#### " (:name k)) "" (str "**" (:error r) "**") ""]
                                 :else (concat (hotspot/report-kernel k (:summary r) (:from-cache? r))
                                               (cond
                                                 (:timed-out? r) [(str "(The run was stopped after " (:timeout-secs cfg) " s.)") ""]
                                                 (not (and (= 0 (:exit r)) (= expected (:out r))))
                                                 [(str "**The run failed or printed the wrong output:** exit " (:exit r)
                                                       ", " (pr-str (:out r))) ""]))))]
                    (println block)
                    (flush)
                    block)))]
    (io/make-parents (io/file path))
    (spit path (str/join "\n" (cons header blocks)))
    (log "wrote" path)))

(defn -main [& args]
  (let [{:keys [quick only out no-node print-compilation kernel]} (parse-cli args)
        cfg (if quick quick-config full-config)
        want? (fn [k] (or (nil? only) (contains? only k)))]
    (cond
      print-compilation
      (do (print-compilation! cfg want? kernel (or out "bench/out/print-compilation.md"))
          (shutdown-agents)
          (System/exit 0)))
    (let [node? (and (not no-node) (node-available?))
          engines-used (if node? engines (vec (remove #{:node} engines)))
          compiled (filterv #{:node :clj-compiler :clj-auto :chicory-compiler} engines-used)
          ;; the issue-15 sets run on Node and the engines the project's compiler will back
          issue-15 (filterv #{:node :clj-compiler :clj-auto} engines-used)
          interpreters (filterv #{:node :clj-interpreter :chicory-interpreter} engines-used)
          t0 (now)
          _ (when-not node? (log "node not found on PATH: Node columns are left out"))
          m (machine)
          _ (log "machine:" m)
          res (cond-> {:machine m :cfg cfg :quick? (boolean quick) :engines-used engines-used
                       :command (str/join " " (cons "bin/clojure -M:bench" args))}
                (want? :kernels) (assoc :kernels (do (log "CPU kernels, compiled") (kernel-bench cfg (:kernels cfg) compiled)))
                (want? :realcode) (assoc :realcode (do (log "real-code kernels") (kernel-bench cfg (:realcode cfg) issue-15 true)))
                (want? :simd) (assoc :simd (do (log "SIMD kernels") (kernel-bench cfg (:simd cfg) issue-15 true)))
                (want? :interp) (assoc :interp (do (log "CPU kernels, interpreters") (kernel-bench cfg (:interp-kernels cfg) interpreters)))
                (want? :stdout) (assoc :stdout (do (log "stdout") (stdout-bench cfg engines-used)))
                (want? :copy) (assoc :copy (do (log "file copy") (copy-bench cfg engines-used)))
                (want? :calls) (assoc :calls (do (log "calls") (calls-bench cfg)))
                (want? :startup) (assoc :startup (do (log "start-up") (startup-bench cfg node?))))
          res (assoc res :load-end (first (str/split-lines (:out (sh/sh "cat" "/proc/loadavg")))))
          ran (set (filter res [:kernels :realcode :simd :interp :stdout :copy :calls :startup]))
          ;; the compiler kernels of issue 15 and the rest (issue 5) have a block each; the
          ;; CPU kernels are in both, and alone only in the issue-5 one
          blocks (cond-> []
                   (some #{:realcode :simd} ran) (conj [issue-15-markers (report res :issue-15)])
                   (or (some #{:interp :stdout :copy :calls :startup} ran)
                       (and (:kernels ran) (not-any? #{:realcode :simd} ran)))
                   (conj [results-markers (report res :issue-5)]))
          path (or out (if quick "bench/out/PERFORMANCE-quick.md" "docs/PERFORMANCE.md"))]
      (io/make-parents (io/file "bench/out/x"))
      (spit "bench/out/results.edn" (pr-str (dissoc res :cfg)))
      (doseq [[markers text] blocks]
        (println text)
        (write-report! path text markers))
      (log (format "total %.0f s" (secs t0 (now))))
      (shutdown-agents)
      (System/exit 0))))
