(ns build
  "Build tasks: `bin/clojure -T:build compile-java | compile-clj | test | jar | clean`."
  (:refer-clojure :exclude [test])
  (:require [clojure.tools.build.api :as b]))

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

(defn compile-java
  "Compiles src/java into target/classes (also the :deps/prep-lib step)."
  [_]
  (b/javac {:src-dirs ["src/java"] :class-dir class-dir :basis @basis
            :javac-opts ["--release" "17" "-Xlint:all,-serial,-processing"]}))

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
