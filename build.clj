(ns build
  "Build tasks: `bin/clojure -T:build compile-java | compile-clj | test | jar | clean`."
  (:refer-clojure :exclude [test])
  (:require [clojure.java.io :as io]
            [clojure.string :as str]
            [clojure.tools.build.api :as b]))

(def lib 'io.github.clj-wasi/clj-wasi)
(def version "0.1.0")
(def class-dir "target/classes")
(def jar-file (format "target/%s-%s.jar" (name lib) version))
(def basis (delay (b/create-basis {:project "deps.edn"})))

(def ^:private pom-data
  "What a library on a public repository's pom needs beyond its coordinates."
  [[:description "Run WebAssembly (above all WASI Preview 1 command modules) on the JVM from Clojure, over Chicory"]
   [:url "https://github.com/clj-wasi/clj-wasi"]
   [:licenses
    [:license
     [:name "Apache License, Version 2.0"]
     [:url "https://www.apache.org/licenses/LICENSE-2.0"]]]])

(defn clean [_] (b/delete {:path "target"}))

(def ^:private lint "-Xlint:all,-serial,-processing")

(defn- jdk-feature
  "The feature release of the JDK at `home` (from its `release` file), or nil."
  [home]
  (let [f (io/file home "release")]
    (when (.isFile f)
      (some->> (slurp f) (re-find #"(?m)^JAVA_VERSION=\"(\d+)") second parse-long))))

(defn- javac-22+
  "A JDK 22+ javac for src/java22 when the running JDK is older: the JDK home named by
  $CLJ_WASI_JDK22_HOME, else the newest JDK 22+ under /usr/lib/jvm; nil when none."
  []
  (let [homes (if-let [h (System/getenv "CLJ_WASI_JDK22_HOME")]
                [(io/file h)]
                (sort-by #(- (or (jdk-feature %) 0)) (.listFiles (io/file "/usr/lib/jvm"))))]
    (some (fn [h]
            (let [javac (io/file h "bin" "javac")]
              (when (and (.canExecute javac) (>= (or (jdk-feature h) 0) 22))
                (str javac))))
          homes)))

(defn- write-code-version!
  "Writes cljwasi/engine/compiler/code-version into target/classes: a CRC-32C of the
  compiler's classes and of the memory classes its code calls, which
  cljwasi.engine.compiler.CompiledCode/FORMAT reads (one small resource) so that the compile
  cache never hands a new compiler's code an old one's classes. Computing it at run time
  meant loading and reading those classes in every process: ~30 ms of a 0.2 s command."
  []
  (let [dir (io/file class-dir "cljwasi/engine/compiler")
        files (sort-by str (concat (filter #(str/ends-with? (.getName ^java.io.File %) ".class")
                                           (.listFiles dir))
                                   [(io/file class-dir "cljwasi/engine/LinearMemory.class")
                                    (io/file class-dir "cljwasi/engine/Memories.class")]))
        crc (java.util.zip.CRC32C.)]
    (doseq [^java.io.File f files]
      (.update crc (java.nio.file.Files/readAllBytes (.toPath f))))
    (spit (io/file dir "code-version") (Long/toHexString (.getValue crc)))))

(defn compile-java
  "Compiles src/java into target/classes with --release 17 (also the :deps/prep-lib
  step), then src/java22 (the foreign-function file-system calls) with --release 22:
  by this JDK when it is 22+, else by a JDK 22+ javac found by `javac-22+`. Without
  one those classes are absent and clj-wasi uses java.nio alone (docs/WASI.md)."
  [_]
  (b/javac {:src-dirs ["src/java"] :class-dir class-dir :basis @basis
            :javac-opts ["--release" "17" lint]})
  (write-code-version!)
  (when (.isDirectory (io/file "src/java22"))
    (if (>= (.feature (Runtime/version)) 22)
      (b/javac {:src-dirs ["src/java22"] :class-dir class-dir :basis @basis
                :javac-opts ["--release" "22" lint]})
      (if-let [javac (javac-22+)]
        (let [srcs (->> (file-seq (io/file "src/java22"))
                        (filter #(str/ends-with? (str %) ".java"))
                        (map str))
              cp (str/join java.io.File/pathSeparator (:classpath-roots @basis))
              {:keys [exit]} (b/process {:command-args (into [javac "--release" "22" lint
                                                              "-d" class-dir "-cp" cp]
                                                             srcs)})]
          (when-not (zero? exit) (throw (ex-info "compiling src/java22 failed" {:javac javac}))))
        (println "build: no JDK 22+ javac (set CLJ_WASI_JDK22_HOME): src/java22 not compiled,"
                 "file-system calls go through java.nio only")))))

(defn compile-clj
  "AOT-compiles the command-line runner (and the namespaces it loads) into target/aot,
  which only the :run alias puts on the classpath: the runner then starts about a
  second sooner. Clojure still loads a namespace from source when its .clj is newer."
  [_]
  (b/delete {:path "target/aot"})
  (b/compile-clj {:basis (b/create-basis {:project "deps.edn" :aliases [:run]})
                  :ns-compile '[clj-wasi.main]
                  :class-dir "target/aot"
                  :filter-nses '[clj-wasi]}))

(defn test
  "Runs every test with the project's runner; throws when any fails."
  [_]
  (compile-java nil)
  (let [{:keys [exit]} (b/process {:command-args ["bin/clojure" "-M:test"]})]
    (when-not (zero? exit) (throw (ex-info "tests failed" {:exit exit})))))

(defn jar
  "Builds target/clj-wasi-VERSION.jar: compiled Java, Clojure sources, resources, and a pom from deps.edn."
  [_]
  (clean nil)
  (compile-java nil)
  (b/write-pom {:class-dir class-dir :lib lib :version version :basis @basis
                :src-dirs ["src/clj"] :resource-dirs ["resources"]
                :scm {:url "https://github.com/clj-wasi/clj-wasi"
                      :connection "scm:git:https://github.com/clj-wasi/clj-wasi.git"
                      :developerConnection "scm:git:ssh://git@github.com/clj-wasi/clj-wasi.git"
                      :tag (str "v" version)}
                :pom-data pom-data})
  (b/copy-dir {:src-dirs ["src/clj" "resources"] :target-dir class-dir})
  (b/jar {:class-dir class-dir :jar-file jar-file})
  (println "wrote" jar-file))
