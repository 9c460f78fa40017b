(ns large.bench
  "Large-module benchmarks (issue 8): parse, time to first output and total time of
  bench/out/large/*.wasm (built by bench/large/build.sh) on each engine, cold and with a
  warm compile cache, next to Node. Each figure comes from a fresh JVM.

    CP=$(bin/clojure -Spath -A:bench)
    java -cp $CP clojure.main -m large.bench all [MODULES...]   ; the matrix -> bench/out/large/results.md
    java -cp $CP clojure.main -m large.bench one MODULE ENGINE CACHE-DIR|none ARGS...
    java -cp $CP clojure.main -m large.bench parse MODULE"
  (:require [clj-wasi.wasm :as wasm]
            [clojure.edn :as edn]
            [clojure.java.io :as io]
            [clojure.java.shell :as sh]
            [clojure.string :as str])
  (:import (cljwasi Engine Module)
           (cljwasi.engine.compiler BackgroundCompile)
           (com.dylibso.chicory.wasm Parser ParserListener)
           (java.io ByteArrayInputStream)
           (java.lang.management ManagementFactory MemoryPoolMXBean MemoryType)
           (java.nio.file Files Paths)))

(defn- secs [t0 t1] (when (and t0 t1) (/ (- t1 t0) 1e9)))

(defn- heap-pools [] (filter #(= MemoryType/HEAP (.getType ^MemoryPoolMXBean %))
                             (ManagementFactory/getMemoryPoolMXBeans)))

(defn- peak-heap-mb []
  (quot (reduce + (map #(.getUsed (.getPeakUsage ^MemoryPoolMXBean %)) (heap-pools))) 1048576))

(defn- read-bytes ^bytes [f] (Files/readAllBytes (Paths/get f (make-array String 0))))

(defn one [file engine cache-dir & args]
  (let [bytes (read-bytes file)
        _ (doseq [p (heap-pools)] (.resetPeakUsage ^MemoryPoolMXBean p))
        t0 (System/nanoTime)
        m (Module/parse bytes (.getName (io/file file)))
        tp (System/nanoTime)
        first-write (atom nil)
        r (wasm/run m {:engine (keyword engine) :args (vec args) :stdout :discard
                       :cache-dir (if (= cache-dir "none") false cache-dir)
                       :trace (fn [e] (when (and (nil? @first-write)
                                                 (str/includes? (str e) "fd_write"))
                                        (reset! first-write (System/nanoTime))))})
        t1 (System/nanoTime)
        f (when (= engine "auto") (.machineFactory m Engine/AUTO nil))
        stats (when (instance? BackgroundCompile f)
                (into {} (.stats ^BackgroundCompile f)))]
    (prn {:parse (secs t0 tp) :first-write (secs t0 @first-write) :total (secs t0 t1)
          :exit (:exit r) :peak-heap-mb (peak-heap-mb) :hot stats})
    (shutdown-agents)))

(defn parse [file]
  (let [bytes (read-bytes file)
        rt (Runtime/getRuntime)
        used #(do (System/gc) (quot (- (.totalMemory rt) (.freeMemory rt)) 1048576))
        base (used)
        tl (System/nanoTime)
        lazy (Module/parse bytes "lazy") ; what clj-wasi does for a module this size
        tl1 (System/nanoTime)
        lazy-heap (- (used) base)
        _ (.name lazy)
        base2 (used)
        t0 (System/nanoTime)
        _ (Parser/parseWithoutDecoding bytes (reify ParserListener (onSection [_ _] nil)))
        t1 (System/nanoTime)
        m1 (.parse (.build (.withValidation (Parser/builder) false))
                   (reify java.util.function.Supplier (get [_] (ByteArrayInputStream. bytes))))
        t2 (System/nanoTime)
        heap (- (used) base2)
        m2 (do (System/gc) (Parser/parse bytes))
        t3 (System/nanoTime)
        _ (.functionCount (.functionSection m2))]
    (prn {:bytes (alength bytes) :functions (.functionCount (.functionSection m1))
          :lazy-parse (secs tl tl1) :lazy-heap-mb lazy-heap :sections-only (secs t0 t1) :decode (secs t1 t2) :decode+validate (secs t2 t3)
          :parsed-heap-mb heap})
    (shutdown-agents)))

;; ---- the matrix ------------------------------------------------------------------------

(def cp (delay (System/getProperty "java.class.path")))

(defn- jvm [opts & args]
  (let [{:keys [out err exit]} (apply sh/sh "java" (concat opts ["-cp" @cp "clojure.main" "-m" "large.bench"] args))]
    (when-not (zero? exit) (binding [*out* *err*] (println err)))
    (or (some-> (last (str/split-lines out)) edn/read-string) {:failed (last (str/split-lines err))})))

(defn- node [file args]
  (let [{:keys [out]} (apply sh/sh "node" "bench/large/node_large.mjs" file args)]
    (edn/read-string (str/replace (str/trim out) #"\"(\w+)\":" ":$1 "))))

(defn all [& modules]
  (let [modules (or (seq modules) ["large54" "large75"])
        workloads {:start ["64" "50"] :cpu ["256" "4000"]}
        heap (System/getProperty "large.xmx" "6g")
        rows (atom [])]
    (doseq [mname modules
            :let [file (str "bench/out/large/" mname ".wasm")]]
      (swap! rows conj [mname :parse (jvm ["-Xmx8g"] "parse" file)])
      (doseq [[w args] workloads]
        (swap! rows conj [mname w :node (node file args)])
        (let [dir (str (Files/createTempDirectory "large-bench" (make-array java.nio.file.attribute.FileAttribute 0)))]
          (swap! rows conj [mname w :auto-cold (apply jvm ["-Xss16m" (str "-Xmx" heap)] "one" file "auto" dir args)])
          (swap! rows conj [mname w :auto-warm (apply jvm ["-Xss16m" (str "-Xmx" heap)] "one" file "auto" dir args)])
          (when (= w :cpu) ; the heap a cold :auto run needs: does it finish in 2 GB?
            (let [dir2 (str (Files/createTempDirectory "large-bench" (make-array java.nio.file.attribute.FileAttribute 0)))]
              (swap! rows conj [mname w :auto-cold-xmx2g (apply jvm ["-Xss16m" "-Xmx2g"] "one" file "auto" dir2 args)])))
          (when (= w :start)
            (swap! rows conj [mname w :interpreter (apply jvm ["-Xss16m" (str "-Xmx" heap)] "one" file "interpreter" "none" args)])
            (swap! rows conj [mname w :compiler (apply jvm ["-Xss16m" "-Xmx12g"] "one" file "compiler" "none" args)]))))
      (binding [*out* *err*] (println "done:" mname)))
    (spit "bench/out/large/results.edn" (pr-str @rows))
    (doseq [row @rows] (prn row))
    (shutdown-agents)))

(defn -main [cmd & args]
  (case cmd
    "one" (apply one args)
    "parse" (apply parse args)
    "all" (apply all args)))
