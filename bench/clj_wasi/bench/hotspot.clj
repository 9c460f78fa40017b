(ns clj-wasi.bench.hotspot
  "What HotSpot does with the code an engine generates for a kernel (issue 15).

      bin/clojure -M:bench --only realcode --print-compilation [--kernel vm] [--quick]

  Each kernel runs once, in a child JVM (this JVM's options and class path) with
  -XX:+PrintCompilation, -Xlog:class+load=debug and a flight recording (JFR's
  jdk.Deoptimization events say why compiled code was thrown away: JDK 17 has no
  -Xlog:deoptimization). The generated classes are the ones
  a class loader other than the JDK's and Clojure's defined (so whichever compiler made
  them: Chicory's, or the project's own with -Dclj-wasi.compiler=own). For their methods
  the summary lists compilations skipped (COMPILE SKIPPED), C2 code thrown away (made not
  entrant at tier 4: a deoptimisation), methods that ran compiled but never reached C2,
  and the largest method. The child compiles into a fresh :cache-dir; when the engine
  stores its classes there (Chicory's compiler does: a jar), every generated method's
  bytecode size is read from it, which also finds methods HotSpot never compiled (e.g.
  over -XX:HugeMethodLimit, 8000 bytes, which it refuses without saying so)."
  (:require [clj-wasi.wasm :as wasm]
            [clojure.edn :as edn]
            [clojure.java.io :as io]
            [clojure.string :as str])
  (:import (java.io File)
           (java.lang.management ManagementFactory)
           (java.nio.file Files)
           (java.util.jar JarInputStream)
           (jdk.jfr.consumer RecordedEvent RecordedMethod RecordingFile)
           (org.objectweb.asm ClassReader ClassVisitor MethodVisitor Opcodes)
           (org.objectweb.asm.commons CodeSizeEvaluator)))

(set! *warn-on-reflection* true)

(def huge-method-limit
  "HotSpot's -XX:HugeMethodLimit: with DontCompileHugeMethods (the default) a method with
  more bytecode than this is only ever interpreted."
  8000)

;; ---------------------------------------------------------------------------
;; child JVMs

(defn java-command
  "The command that starts a JVM like this one (same java, options and class path) with
  `extra-opts` added, running `main-args` (e.g. [\"clojure.main\" \"-m\" ...])."
  [extra-opts main-args]
  (vec (concat [(str (System/getProperty "java.home") "/bin/java")]
               (.getInputArguments (ManagementFactory/getRuntimeMXBean))
               extra-opts
               ["-cp" (System/getProperty "java.class.path")]
               main-args)))

(defn- run-process
  "Runs `cmd`, returns {:exit :out} (stdout; stderr goes to this process's stderr)."
  [cmd]
  (let [p (-> (ProcessBuilder. ^java.util.List cmd)
              (.redirectError java.lang.ProcessBuilder$Redirect/INHERIT)
              (.start))
        out (future (slurp (.getInputStream p)))]
    {:exit (.waitFor p) :out @out}))

;; ---------------------------------------------------------------------------
;; in the child: run the kernel, report the generated methods' sizes

(defn- method-sizes
  "{\"pkg.Class::method\" bytecode-bytes} of every method of the classes in the jar `in`
  (ASM's CodeSizeEvaluator: the smallest encoding of what ClassReader read, which is the
  exact size unless a jump needed a wide form)."
  [^java.io.InputStream in]
  (with-open [jar (JarInputStream. in)]
    (loop [acc {}]
      (if-let [e (.getNextJarEntry jar)]
        (recur
         (if-not (str/ends-with? (.getName e) ".class")
           acc
           (let [sizes (atom {})
                 reader (ClassReader. (.readAllBytes jar))
                 cls (str/replace (.getClassName reader) "/" ".")]
             (.accept reader
                      (proxy [ClassVisitor] [Opcodes/ASM9]
                        (visitMethod [_access mname _desc _sig _exs]
                          (let [mname ^String mname]
                            (proxy [CodeSizeEvaluator] [nil]
                              (visitEnd []
                                (let [n (.getMinSize ^CodeSizeEvaluator this)]
                                  (when (pos? n)
                                    (swap! sizes update (str cls "::" mname) (fnil max 0) n))))))))
                      0)
             (merge acc @sizes))))
        acc))))

(defn- cached-method-sizes
  "Method sizes from every entry of the compile cache under `dir` (clj-wasi's entries: a
  32-byte SHA-256, then Chicory's jar of the classes)."
  [dir]
  (->> (file-seq (io/file dir))
       (filter #(str/ends-with? (.getName ^File %) ".bin"))
       (map (fn [^File f]
              (let [b (Files/readAllBytes (.toPath f))]
                (method-sizes (java.io.ByteArrayInputStream. b 32 (- (alength b) 32))))))
       (apply merge {})))

(defn child-main
  "In the child JVM: runs the kernel once on `engine`, compiling into `cache-dir` and
  stopping it after `timeout-ms` (a slow engine still shows what the JIT made of it by
  then), then writes {:exit :out :timed-out? :sizes} to `result-file` as EDN (not to
  stdout, where HotSpot writes its PrintCompilation lines)."
  [engine cache-dir timeout-ms result-file wasm-file & args]
  (let [r (try (wasm/run (Files/readAllBytes (.toPath (io/file wasm-file)))
                         {:engine (keyword engine) :args (vec args) :cache-dir cache-dir
                          :timeout-ms (parse-long timeout-ms)
                          :argv0 (.getName (io/file wasm-file)) :stdout :capture :stderr :capture})
               (catch clojure.lang.ExceptionInfo e
                 (if (= :wasm/timeout (:type (ex-data e)))
                   {:exit nil :out (:out (ex-data e)) :timed-out? true}
                   (throw e))))]
    (spit result-file (pr-str (assoc (select-keys r [:exit :out :timed-out?])
                                     :sizes (cached-method-sizes cache-dir))))))

;; ---------------------------------------------------------------------------
;; in the parent: read the logs

(def ^:private compile-line
  ;; "  timestamp  id  flags level  pkg.Class::method @ osr-bci (N bytes)   event"
  #"^\s*\d+\s+\d+\s+([%sbn! ]*)\s*(\d)?\s+(\S+)::(\S+?)(?: @ \d+)?\s+\((\d+) bytes\)\s*(.*)$")

(defn parse-print-compilation
  "PrintCompilation's lines as maps {:method :class :level :osr? :bytes :event}; :event is
  :compiled, :not-entrant, :zombie or :skipped (with :reason)."
  [text]
  (keep (fn [line]
          (when-let [[_ flags level cls m bytes tail] (re-matches compile-line line)]
            (merge {:class cls :method (str cls "::" m) :level (some-> level parse-long)
                    :osr? (str/includes? flags "%") :bytes (parse-long bytes)}
                   (cond
                     (str/includes? tail "made not entrant") {:event :not-entrant}
                     (str/includes? tail "made zombie") {:event :zombie}
                     (str/includes? tail "COMPILE SKIPPED")
                     {:event :skipped :reason (str/trim (subs tail (+ (str/index-of tail "COMPILE SKIPPED:") 16)))}
                     :else {:event :compiled}))))
        (str/split-lines text)))

(defn- platform-loader?
  "The JDK's loaders and Clojure's (which defines the bench's own compiled code)."
  [^String loader]
  (or (#{"bootstrap" "app" "platform" "clojure/lang/DynamicClassLoader"} loader)
      (str/starts-with? loader "jdk/internal/")))

(defn parse-class-loads
  "The classes -Xlog:class+load=debug saw defined by a loader other than the JDK's and
  Clojure's: {class-name {:loader :bytes}}."
  [text]
  (loop [[line & more] (str/split-lines text) pending nil acc {}]
    (if (nil? line)
      acc
      (if-let [[_ cls] (re-find #"\[class,load\] (\S+) source: " line)]
        (recur more cls acc)
        (let [[_ of inst] (re-find #"loader: \[loader data: \S+ (?:of '([^']+)'|for instance a '([^']+)')" line)
              loader (or inst of)
              bytes (some-> (re-find #" bytes: (\d+)" line) second parse-long)]
          (recur more nil
                 (if (and pending loader (not (platform-loader? loader)))
                   (assoc acc pending {:loader loader :bytes bytes})
                   acc)))))))

(defn read-deoptimizations
  "The jdk.Deoptimization events of the flight recording `file`, as maps {:method :bci
  :instruction :reason :action :compiler}."
  [^File file]
  (for [^RecordedEvent e (RecordingFile/readAllEvents (.toPath file))
        :when (= "jdk.Deoptimization" (.getName (.getEventType e)))
        :let [^RecordedMethod m (.getValue e "method")]
        :when m]
    {:method (str (.getName (.getType m)) "::" (.getName m))
     :bci (.getValue e "bci") :instruction (.getValue e "instruction")
     :reason (.getValue e "reason") :action (.getValue e "action") :compiler (.getValue e "compiler")}))

(defn summarize
  "What happened to the generated methods: a map of counts and method lists."
  [{:keys [compilations classes sizes deoptimizations]}]
  (let [gen (filter #(contains? classes (:class %)) compilations)
        by-method (group-by :method gen)
        sizes (merge (into {} (map (juxt :method :bytes) gen)) sizes)
        max-level (fn [evs] (apply max 0 (keep #(when (= :compiled (:event %)) (:level %)) evs)))
        compiled (set (keys by-method))
        c2 (set (filter #(= 4 (max-level (by-method %))) compiled))
        never (remove compiled (keys sizes))
        generated? (fn [m] (contains? classes (first (str/split m #"::"))))]
    {:classes (count classes)
     :class-bytes (reduce + (keep :bytes (vals classes)))
     :loaders (set (map :loader (vals classes)))
     :methods (count sizes)
     :compiled (count compiled)
     :c2 (count c2)
     :c2-methods (sort-by (comp - sizes) c2)
     :traps (->> deoptimizations
                 (filter (comp generated? :method))
                 (map (juxt :method :bci :instruction :reason :action))
                 frequencies
                 (sort-by (comp - val)))
     :below-c2 (sort-by (comp - sizes) (remove c2 compiled))
     :skipped (distinct (map (juxt :method :level :reason) (filter #(= :skipped (:event %)) gen)))
     :deopt-c2 (distinct (map (juxt :method :osr?) (filter #(and (= :not-entrant (:event %)) (= 4 (:level %))) gen)))
     :replaced (count (filter #(and (= :not-entrant (:event %)) (not= 4 (:level %))) gen))
     :never-compiled (sort-by (comp - sizes) never)
     :huge (sort-by (comp - sizes) (filter #(> (long (sizes %)) huge-method-limit) (keys sizes)))
     :largest (when (seq sizes) (apply max-key val sizes))
     :sizes sizes}))

(defn- short-name [m] (str/replace m #"^.*\.([^.]+::)" "$1"))

(defn- list-methods [ms sizes n]
  (if (empty? ms)
    "none"
    (str (str/join ", " (for [m (take n ms)] (format "`%s` (%d B)" (short-name m) (long (sizes m)))))
         (when (> (count ms) n) (format ", ... (%d more)" (- (count ms) n))))))

(defn report-kernel
  "Markdown lines for one kernel's summary."
  [{:keys [name args engine]} s from-cache?]
  (let [{:keys [sizes]} s]
    [(format "#### %s %s (engine %s)" name (str/join " " args) engine)
     ""
     (format "- generated classes: %d, %d bytes of class files, loaded by %s"
             (:classes s) (:class-bytes s) (str/join ", " (map #(str "`" % "`") (:loaders s))))
     (format "- generated methods: %s; JIT-compiled: %d; reached C2 (tier 4): %d"
             (if from-cache? (str (:methods s) " (sizes from the compile cache)")
                 (str (:methods s) " seen by the JIT (the engine left no classes in the cache)"))
             (:compiled s) (:c2 s))
     (str "- reached C2: " (list-methods (:c2-methods s) sizes 6))
     (str "- compiled but never by C2: " (list-methods (:below-c2 s) sizes 6))
     (str "- COMPILE SKIPPED: " (if (empty? (:skipped s)) "none"
                                    (str/join "; " (for [[m l r] (:skipped s)] (format "`%s` tier %s: %s" (short-name m) l r)))))
     (str "- C2 code made not entrant (deoptimised): "
          (if (empty? (:deopt-c2 s)) "none"
              (str/join ", " (for [[m osr?] (:deopt-c2 s)] (str "`" (short-name m) "`" (when osr? " (OSR)")))))
          (format "; tier 1-3 code replaced: %d" (:replaced s)))
     (str "- deoptimisations (JFR): "
          (if (empty? (:traps s)) "none"
              (str/join "; " (for [[[m bci insn reason action] n] (take 8 (:traps s))]
                               (format "`%s` bci %s `%s`: %s, %s (x%d)" (short-name m) bci insn reason action n)))))
     (str "- never compiled: " (if from-cache? (list-methods (:never-compiled s) sizes 6) "unknown (no sizes)")
          (when (seq (:huge s))
            (str "; over HugeMethodLimit (" huge-method-limit " B, never compiled): "
                 (list-methods (:huge s) sizes 6))))
     (if-let [[m n] (:largest s)]
       (format "- largest generated method: `%s`, %d bytes of bytecode" (short-name m) (long n))
       "- largest generated method: -")
     ""]))

(defn inspect-kernel
  "Runs kernel `k` ({:name :args :engine}) in a child JVM under PrintCompilation, for at
  most `timeout-secs`; returns {:summary :from-cache? :exit :out :timed-out?} (the kernel's
  exit code and stdout), or {:error message} when the child JVM failed."
  [{:keys [name args engine]} wasm-file timeout-secs]
  (let [tmp (.toFile (Files/createTempDirectory "clj-wasi-hotspot" (make-array java.nio.file.attribute.FileAttribute 0)))
        log-file (io/file tmp "class-load.log")
        result-file (io/file tmp "result.edn")
        jfr-file (io/file tmp "run.jfr")
        cache (io/file tmp "cache")
        cmd (java-command ["-XX:+PrintCompilation"
                           (str "-Xlog:class+load=debug:file=" log-file)
                           (str "-XX:StartFlightRecording=settings=profile,filename=" jfr-file)]
                          (concat ["clojure.main" "-m" "clj-wasi.bench.hotspot"
                                   (clojure.core/name engine) (str cache) (str (* 1000 (long timeout-secs)))
                                   (str result-file) wasm-file]
                                  args))
        {:keys [exit out]} (run-process cmd)]
    (try
      (if-not (and (zero? exit) (.exists result-file))
        {:error (str "the child JVM failed (exit " exit ")")}
        (let [{:keys [sizes] :as result} (edn/read-string (slurp result-file))]
          {:summary (summarize {:compilations (parse-print-compilation out)
                                :classes (parse-class-loads (slurp log-file))
                                :sizes sizes
                                :deoptimizations (read-deoptimizations jfr-file)})
           :from-cache? (boolean (seq sizes))
           :exit (:exit result)
           :out (:out result)
           :timed-out? (:timed-out? result)}))
      (finally
        (doseq [^File f (reverse (file-seq tmp))] (.delete f))))))

(defn -main
  "The child JVM's entry point (see child-main)."
  [& args]
  (apply child-main args)
  (shutdown-agents)
  (System/exit 0))
