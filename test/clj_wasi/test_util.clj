(ns clj-wasi.test-util
  "Helpers shared by the test namespaces."
  (:require [clojure.java.io :as io]
            [clojure.test.check.generators :as gen])
  (:import (java.nio.file Files)
           (java.nio.file.attribute FileAttribute)))

(defn wasm
  "The path of test program `name` (without .wasm)."
  [name]
  (str "test/wasm/" name ".wasm"))

(defn thrown-data
  "The ex-data of what `f` throws, or ::no-exception."
  [f]
  (try (f) ::no-exception
       (catch clojure.lang.ExceptionInfo e (ex-data e))))

(defn temp-dir
  "A new temporary directory (a java.io.File)."
  ^java.io.File [prefix]
  (.toFile (Files/createTempDirectory prefix (make-array FileAttribute 0))))

(defn delete-tree [^java.io.File f]
  (when (.exists f)
    (doseq [^java.io.File x (reverse (file-seq f))] (.delete x))))

(defmacro with-temp-dir
  "Binds `sym` to a fresh temporary directory, deleted afterwards."
  [[sym prefix] & body]
  `(let [~sym (temp-dir ~(or prefix "clj-wasi-test"))]
     (try ~@body (finally (delete-tree ~sym)))))

(def gen-unicode-char
  "Any Unicode scalar value except NUL (C strings end there), as a string."
  (gen/fmap (fn [cp] (String. (Character/toChars (int cp))))
            (gen/such-that #(not (<= 0xD800 % 0xDFFF))
                           (gen/frequency [[6 (gen/choose 1 0x7F)]
                                           [3 (gen/choose 0x80 0xFFFF)]
                                           [1 (gen/choose 0x10000 0x10FFFF)]])
                           100)))

(def gen-unicode-string
  "A string of any Unicode scalar values but NUL, newlines and '=' included."
  (gen/fmap #(apply str %) (gen/vector gen-unicode-char 0 12)))

(defn java-cmd
  "A command line starting a JVM with this test JVM's classpath."
  [& args]
  (into [(str (System/getProperty "java.home") "/bin/java")
         "-XX:TieredStopAtLevel=1" "-XX:+UseSerialGC" "-Xshare:auto"
         "-cp" (System/getProperty "java.class.path")]
        args))

(defn sh
  "Runs `cmd` (a vector) with `stdin` (string); returns {:exit :out :err}."
  [cmd & {:keys [stdin dir]}]
  (let [pb (doto (ProcessBuilder. ^java.util.List cmd)
             (.directory (io/file (or dir "."))))
        p (.start pb)
        out (future (slurp (.getInputStream p)))
        err (future (slurp (.getErrorStream p)))]
    (with-open [in (.getOutputStream p)]
      (when stdin (.write in (.getBytes ^String stdin "UTF-8"))))
    {:exit (.waitFor p) :out @out :err @err}))
