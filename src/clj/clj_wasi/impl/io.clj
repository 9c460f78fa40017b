(ns clj-wasi.impl.io
  "Stdio for guests: what :stdin, :stdout and :stderr may be, as Java streams."
  (:import (cljwasi.io ReaderInputStream WriterOutputStream)
           (java.io ByteArrayInputStream ByteArrayOutputStream File FileDescriptor
                    FileInputStream FileOutputStream InputStream OutputStream Reader Writer)
           (java.nio.charset StandardCharsets)
           (java.util.function Supplier)))

(set! *warn-on-reflection* true)

(defn input-supplier
  "A Supplier of the guest's stdin for `x`: nil (empty), a string (UTF-8), bytes, an
  InputStream or Reader (read as data arrives), a File, or :inherit (the process's own)."
  ^Supplier [x]
  (cond
    (nil? x) (reify Supplier (get [_] (InputStream/nullInputStream)))
    (string? x) (let [b (.getBytes ^String x StandardCharsets/UTF_8)]
                  (reify Supplier (get [_] (ByteArrayInputStream. b))))
    (bytes? x) (reify Supplier (get [_] (ByteArrayInputStream. ^bytes x)))
    (instance? InputStream x) (reify Supplier (get [_] x))
    (instance? Reader x) (reify Supplier (get [_] (ReaderInputStream. x)))
    (instance? File x) (reify Supplier (get [_] (FileInputStream. ^File x)))
    (= :inherit x) (reify Supplier (get [_] (FileInputStream. FileDescriptor/in)))))

(defn- writer-stream ^OutputStream [get-writer]
  (WriterOutputStream. (reify Supplier (get [_] (get-writer)))))

(defn- tee-stream
  "An OutputStream writing everything to both `a` and `b`."
  ^OutputStream [^OutputStream a ^OutputStream b]
  (proxy [OutputStream] []
    (write
      ([x] (if (bytes? x)
             (do (.write a ^bytes x) (.write b ^bytes x))
             (do (.write a (int x)) (.write b (int x)))))
      ([^bytes bs off len] (.write a bs (int off) (int len)) (.write b bs (int off) (int len))))
    (flush [] (.flush a) (.flush b))))

(defn output-supplier
  "A Supplier of an output stream for `x`, and the capture buffer if any:
  nil (the caller's *out* or *err*, looked up at each write, i.e. at call time),
  :capture (kept for `wasm/captured`), :tee (both: written to *out* / *err* as it
  comes, and kept), :discard, :inherit (the process's own stream), an OutputStream,
  or a Writer."
  [x which]
  (cond
    (nil? x) {:supplier (reify Supplier
                          (get [_] (writer-stream (if (= which :stdout) #(do *out*) #(do *err*)))))}
    (= :tee x) (let [buf (ByteArrayOutputStream.)
                     live (:supplier (output-supplier nil which))]
                 {:supplier (reify Supplier (get [_] (tee-stream buf (.get ^Supplier live))))
                  :capture buf})
    (= :capture x) (let [buf (ByteArrayOutputStream.)]
                     {:supplier (reify Supplier (get [_] buf)) :capture buf})
    (= :discard x) {:supplier (reify Supplier (get [_] (OutputStream/nullOutputStream)))}
    (= :inherit x) {:supplier (reify Supplier
                                (get [_] (FileOutputStream. (if (= which :stdout)
                                                              FileDescriptor/out
                                                              FileDescriptor/err))))
                    :tty (some? (System/console))}
    (instance? OutputStream x) {:supplier (reify Supplier (get [_] x))}
    (instance? Writer x) {:supplier (reify Supplier (get [_] (writer-stream (constantly x))))}))
