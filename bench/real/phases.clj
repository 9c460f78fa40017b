(ns real.phases
  "One command-line run split into its phases, for the real-program benchmark
  (bench/real/bench.clj starts this as a fresh JVM per measurement, on the runner's own
  classpath plus bench/):

      java -cp CP:bench clojure.main -m real.phases MODULE CACHE-DIR IN-DIR OUT-DIR [ARGS...]

  does what `clj-wasi --cache-dir CACHE-DIR --dir IN-DIR::/w --dir OUT-DIR::/out MODULE
  ARGS` does, one step at a time, and prints the time of each step to stderr as one EDN
  map after the marker `real.phases`:
    :load         (require 'clj-wasi.main): the runtime, AOT-compiled as the runner loads it
    :parse        the module's file parsed as the runner parses it, with the compile
                  cache (cold: read, decode, validate every body and record that in the
                  cache; warm: framed only, each body decoded at its first use)
    :compile      the module's machine factory for engine :auto: compiling to JVM
                  bytecode, or loading the classes from the compile cache
    :instantiate  wasm/load-wasi with the runner's options (memory, WASI context, start)
    :run          _start on a thread with the runner's 1 GiB stack
  Guest output goes to this process's stdout/stderr, as the runner's does. This namespace
  loads nothing of clj-wasi before the clock starts (it reaches the library by reflection
  and requiring-resolve), so :load is the whole runtime load.")

(defn- secs [^long t0 ^long t1] (/ (- t1 t0) 1e9))

(defn- on-big-stack
  "Runs f on a thread with the runner's guest stack (clj-wasi.main's guest-stack-bytes)."
  [f]
  (let [result (promise)
        t (Thread. nil #(deliver result (try {:value (f)} (catch Throwable e {:error e})))
                   "guest" (* 1024 1024 1024))]
    (.start t)
    (.join t)
    (let [{:keys [value error]} @result]
      (if error (throw error) value))))

(defn -main [module-file cache-dir in-dir out-dir & args]
  (let [t0 (System/nanoTime)
        _ (require 'clj-wasi.main)
        t1 (System/nanoTime)
        cache (clojure.lang.Reflector/invokeConstructor
               (Class/forName "cljwasi.engine.cache.CompileCache")
               (object-array [(.toPath (java.io.File. ^String cache-dir))]))
        module (clojure.lang.Reflector/invokeStaticMethod
                (Class/forName "cljwasi.Module") "parse"
                (object-array [(.toPath (java.io.File. ^String module-file)) cache]))
        t2 (System/nanoTime)
        _ (clojure.lang.Reflector/invokeInstanceMethod
           module "machineFactory"
           (object-array [(clojure.lang.Reflector/getStaticField "cljwasi.Engine" "AUTO") cache]))
        t3 (System/nanoTime)
        ;; the options clj-wasi.main's run-module passes; the factory above is the one
        ;; the module keeps for :auto, so this step does not compile again
        inst ((requiring-resolve 'clj-wasi.wasm/load-wasi)
              module {:stdin :inherit :stdout :inherit :stderr :inherit
                      :args (vec args) :argv0 (.getName (java.io.File. ^String module-file))
                      :cache-dir cache-dir
                      :preopens [{:host in-dir :guest "/w"} {:host out-dir :guest "/out"}]})
        t4 (System/nanoTime)
        start ((requiring-resolve 'clj-wasi.wasm/fn) inst "_start")
        exit (on-big-stack start)
        t5 (System/nanoTime)]
    ((requiring-resolve (quote clj-wasi.wasm/close)) inst)
    (flush)
    (binding [*out* *err*]
      (println "real.phases" (pr-str {:load (secs t0 t1) :parse (secs t1 t2) :compile (secs t2 t3)
                                      :instantiate (secs t3 t4) :run (secs t4 t5) :exit exit}))
      (flush))
    (shutdown-agents)
    (System/exit (int exit))))
